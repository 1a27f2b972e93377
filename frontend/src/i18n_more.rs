//! UI strings of the lesson pages and the playground, in Spanish and English.
//!
//! Kept apart from `i18n.rs` (the start and session pages) so both files stay small; same rule:
//! one `MoreStrings` value per language, so a missing translation is a compile error.

use crate::i18n::Lang;

/// Texts of the catalog, lesson and playground pages.
#[derive(Debug, PartialEq, Eq)]
pub struct MoreStrings {
    /// Link to the catalog and its heading.
    pub lessons: &'static str,
    /// Line under the catalog heading.
    pub catalog_intro: &'static str,
    /// Shown while something loads.
    pub loading: &'static str,
    /// Unit after a duration.
    pub minutes: &'static str,
    /// Unit after a node count of one.
    pub node: &'static str,
    /// Unit after any other node count.
    pub nodes: &'static str,
    /// "steps" after "2/7".
    pub steps: &'static str,
    /// Button that starts a lesson's session.
    pub start_lesson: &'static str,
    /// Right-hand panel before the session starts.
    pub start_first: &'static str,
    /// A step's label before its number.
    pub step: &'static str,
    /// Run block button.
    pub run: &'static str,
    /// Shown when a Run button finds no connected terminal.
    pub not_connected: &'static str,
    /// File block button.
    pub write_file: &'static str,
    /// File block written.
    pub file_written: &'static str,
    /// File block not written.
    pub file_failed: &'static str,
    /// Plain block button.
    pub copy: &'static str,
    /// Plain block copied.
    pub copied: &'static str,
    /// Badge of blocks that need a person at the keys.
    pub interactive: &'static str,
    /// A checked step's button.
    pub check: &'static str,
    /// Before the hint when a check fails.
    pub not_yet: &'static str,
    /// Shown when a check fails without a hint.
    pub no_hint: &'static str,
    /// A step's "do it for me" button.
    pub skip: &'static str,
    /// Asked before Skip runs.
    pub confirm_skip: &'static str,
    /// Skip ran but did not finish the step.
    pub skip_failed: &'static str,
    /// A reading step's button.
    pub next: &'static str,
    /// Accessible label of a tick.
    pub done: &'static str,
    /// All steps ticked.
    pub all_done: &'static str,
    /// Tab bar button that adds a node.
    pub add_node: &'static str,
    /// Tab button that removes a node.
    pub remove_node: &'static str,
    /// Tab button and stopped-node button that replace a node with a fresh one.
    pub reset_node: &'static str,
    /// Shown on the reset button while the fresh node starts.
    pub resetting: &'static str,
    /// Asked before a running node is reset; `{node}` is its name.
    pub confirm_reset: &'static str,
    /// Badge of a node whose init process ended.
    pub node_stopped: &'static str,
    /// The terminal area of a stopped node; `{node}` is its name.
    pub node_stopped_explain: &'static str,
    /// Upload button.
    pub upload: &'static str,
    /// Shown while dragging a file over the terminals.
    pub drop_here: &'static str,
    /// After a successful upload (the path follows).
    pub uploaded: &'static str,
    /// The server has no upload endpoint.
    pub upload_unavailable: &'static str,
    /// Label before the port links.
    pub ports: &'static str,
    /// No published ports.
    pub no_ports: &'static str,
    /// The server has no ports endpoint.
    pub ports_unavailable: &'static str,
    /// Label of the join code field on the start page.
    pub join_code: &'static str,
}

impl Lang {
    /// This language's lesson and playground strings.
    pub fn more(self) -> &'static MoreStrings {
        match self {
            Lang::Es => &ES,
            Lang::En => &EN,
        }
    }

    /// The other language of the switch (the lesson fallback).
    pub fn other(self) -> Lang {
        match self {
            Lang::Es => Lang::En,
            Lang::En => Lang::Es,
        }
    }
}

static ES: MoreStrings = MoreStrings {
    lessons: "Lecciones",
    catalog_intro: "Cada lección trae sus propios nodos con Docker; el texto a la izquierda, la terminal a la derecha.",
    loading: "Cargando…",
    minutes: "min",
    node: "nodo",
    nodes: "nodos",
    steps: "pasos",
    start_lesson: "Empezar",
    start_first: "Pulsa Empezar para crear los nodos de esta lección.",
    step: "Paso",
    run: "Ejecutar",
    not_connected: "La terminal no está conectada.",
    write_file: "Escribir archivo",
    file_written: "Archivo escrito",
    file_failed: "No se pudo escribir el archivo",
    copy: "Copiar",
    copied: "Copiado",
    interactive: "interactivo",
    check: "Comprobar",
    not_yet: "Todavía no.",
    no_hint: "Revisa los pasos anteriores e inténtalo de nuevo.",
    skip: "Saltar",
    confirm_skip: "¿Completar este paso automáticamente? Se ejecutarán sus comandos en el nodo.",
    skip_failed: "No se pudo completar el paso",
    next: "Siguiente",
    done: "Hecho",
    all_done: "¡Lección completada!",
    add_node: "+ Añadir nodo",
    remove_node: "Quitar nodo",
    reset_node: "Reiniciar nodo",
    resetting: "Reiniciando…",
    confirm_reset: "¿Reiniciar {node}? Se pierde todo lo que contiene (contenedores, imágenes, archivos) y lo sustituye un nodo nuevo con el mismo nombre y la misma dirección.",
    node_stopped: "detenido",
    node_stopped_explain: "{node} se ha detenido (terminó su proceso init). Reinícialo para tener un nodo nuevo con el mismo nombre y la misma dirección, o quítalo.",
    upload: "Subir archivo",
    drop_here: "Suelta el archivo para subirlo a /root de",
    uploaded: "Subido a",
    upload_unavailable: "Este servidor no permite subir archivos.",
    ports: "Puertos",
    no_ports: "ningún puerto publicado",
    ports_unavailable: "Este servidor no muestra los puertos publicados.",
    join_code: "Código de la clase",
};

static EN: MoreStrings = MoreStrings {
    lessons: "Lessons",
    catalog_intro:
        "Every lesson brings its own Docker nodes: the text on the left, the terminal on the right.",
    loading: "Loading…",
    minutes: "min",
    node: "node",
    nodes: "nodes",
    steps: "steps",
    start_lesson: "Start lesson",
    start_first: "Press Start lesson to create this lesson's nodes.",
    step: "Step",
    run: "Run",
    not_connected: "The terminal is not connected.",
    write_file: "Write file",
    file_written: "File written",
    file_failed: "Could not write the file",
    copy: "Copy",
    copied: "Copied",
    interactive: "interactive",
    check: "Check",
    not_yet: "Not yet.",
    no_hint: "Go over the previous steps and try again.",
    skip: "Skip",
    confirm_skip: "Complete this step automatically? Its commands will run in the node.",
    skip_failed: "Could not complete the step",
    next: "Next",
    done: "Done",
    all_done: "Lesson complete!",
    add_node: "+ Add node",
    remove_node: "Remove node",
    reset_node: "Reset node",
    resetting: "Resetting…",
    confirm_reset: "Reset {node}? Everything in it (containers, images, files) is lost and a fresh node with the same name and address takes its place.",
    node_stopped: "stopped",
    node_stopped_explain: "{node} has stopped (its init process ended). Reset it to get a fresh node with the same name and address, or remove it.",
    upload: "Upload file",
    drop_here: "Drop the file to upload it to /root on",
    uploaded: "Uploaded to",
    upload_unavailable: "This server does not support file uploads.",
    ports: "Ports",
    no_ports: "no published ports",
    ports_unavailable: "This server does not list published ports.",
    join_code: "Class join code",
};

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &MoreStrings) -> Vec<&'static str> {
        vec![
            s.lessons,
            s.catalog_intro,
            s.loading,
            s.node,
            s.nodes,
            s.steps,
            s.start_lesson,
            s.start_first,
            s.step,
            s.run,
            s.not_connected,
            s.write_file,
            s.file_written,
            s.file_failed,
            s.copy,
            s.copied,
            s.interactive,
            s.check,
            s.not_yet,
            s.no_hint,
            s.skip,
            s.confirm_skip,
            s.skip_failed,
            s.next,
            s.done,
            s.all_done,
            s.add_node,
            s.remove_node,
            s.reset_node,
            s.resetting,
            s.confirm_reset,
            s.node_stopped,
            s.node_stopped_explain,
            s.upload,
            s.drop_here,
            s.uploaded,
            s.upload_unavailable,
            s.ports,
            s.no_ports,
            s.ports_unavailable,
        ]
    }

    #[test]
    fn every_string_is_translated() {
        let (es, en) = (all(Lang::Es.more()), all(Lang::En.more()));
        for (a, b) in es.iter().zip(&en) {
            assert!(!a.trim().is_empty() && !b.trim().is_empty());
            assert_ne!(a, b, "untranslated string {a:?}");
        }
        assert_eq!(
            Lang::Es.more().minutes,
            Lang::En.more().minutes,
            "min is both"
        );
    }

    #[test]
    fn node_placeholders_are_in_both_languages() {
        for lang in [Lang::Es, Lang::En] {
            let m = lang.more();
            assert!(m.confirm_reset.contains("{node}"), "{lang:?}");
            assert!(m.node_stopped_explain.starts_with("{node} "), "{lang:?}");
        }
    }

    #[test]
    fn other_language() {
        assert_eq!(Lang::Es.other(), Lang::En);
        assert_eq!(Lang::En.other(), Lang::Es);
    }
}
