//! Strings of the lesson page's session controls, the phone layout, accessibility hints, the
//! ports view and small feedback (issue 12), kept apart from `strings.rs` so that they are one
//! file to merge. Same rule: every language fills every field.

/// The issue-12 texts of one language.
#[derive(Debug, PartialEq, Eq)]
pub struct Ux {
    /// Confirm before ending a session.
    pub confirm_end: &'static str,
    /// Reset the ticks of this lesson.
    pub reset_progress: &'static str,
    /// Confirm before resetting.
    pub confirm_reset_progress: &'static str,
    /// Marker of a step finished in an earlier session.
    pub done_before: &'static str,
    /// The pill's note of earlier sessions' ticks ("7/7 before").
    pub before: &'static str,
    /// Link to the next lesson at the end of the text.
    pub next_lesson: &'static str,
    /// Catalog card: a session of this lesson still runs.
    pub session_running: &'static str,
    /// Catalog card: back into the running session.
    pub resume: &'static str,
    /// Phone tabs of the lesson page.
    pub tab_text: &'static str,
    /// Phone tabs of the lesson page.
    pub tab_terminal: &'static str,
    /// Accessible name of the split handle.
    pub resize_split: &'static str,
    /// How to leave the terminal with the keyboard.
    pub leave_terminal: &'static str,
    /// Add node disabled: why.
    pub max_nodes: &'static str,
    /// Run/Write disabled before the lesson starts.
    pub start_first_short: &'static str,
    /// Ports view heading: the list covers every node.
    pub ports_of_all: &'static str,
    /// Upload progress ("42%").
    pub uploading: &'static str,
    /// Confirm before removing a node.
    pub confirm_remove: &'static str,
    /// The page title's suffix part for the playground ("node1 — muelle").
    pub playground: &'static str,
    /// Copy feedback on a Copy button.
    pub copied_short: &'static str,
    /// The browser refused the clipboard.
    pub clipboard_blocked: &'static str,
}

/// English.
pub(super) static EN: Ux = Ux {
    confirm_end: "End this session? Its nodes and everything in them are deleted.",
    reset_progress: "Reset progress",
    confirm_reset_progress: "Forget the ticks of this lesson (this session's and earlier ones)?",
    done_before: "done before",
    before: "before",
    next_lesson: "Next lesson",
    session_running: "Session running",
    resume: "Resume",
    tab_text: "Lesson",
    tab_terminal: "Terminal",
    resize_split: "Resize the text and the terminal",
    leave_terminal: "Esc then Tab leaves the terminal",
    max_nodes: "A session has at most 5 nodes",
    start_first_short: "Start the lesson first",
    ports_of_all: "Ports of every node",
    uploading: "Uploading",
    confirm_remove: "Remove {node}? Everything in it is deleted.",
    playground: "Playground",
    copied_short: "Copied",
    clipboard_blocked: "The browser blocked the clipboard: select the text and copy it by hand.",
};

/// Spanish.
pub(super) static ES: Ux = Ux {
    confirm_end: "¿Terminar esta sesión? Se borran sus nodos y todo lo que contienen.",
    reset_progress: "Reiniciar progreso",
    confirm_reset_progress: "¿Olvidar las marcas de esta lección (de esta sesión y de las anteriores)?",
    done_before: "hecho antes",
    before: "antes",
    next_lesson: "Siguiente lección",
    session_running: "Sesión en marcha",
    resume: "Volver",
    tab_text: "Lección",
    tab_terminal: "Terminal",
    resize_split: "Cambiar el tamaño del texto y la terminal",
    leave_terminal: "Esc y luego Tab sale de la terminal",
    max_nodes: "Una sesión tiene como mucho 5 nodos",
    start_first_short: "Empieza la lección primero",
    ports_of_all: "Puertos de todos los nodos",
    uploading: "Subiendo",
    confirm_remove: "¿Quitar {node}? Se borra todo lo que contiene.",
    playground: "Laboratorio",
    copied_short: "Copiado",
    clipboard_blocked: "El navegador bloqueó el portapapeles: selecciona el texto y cópialo a mano.",
};

#[cfg(test)]
impl Ux {
    /// Every field, for the translation test.
    pub fn all(&self) -> [&'static str; 20] {
        [
            self.confirm_end, self.reset_progress, self.confirm_reset_progress, self.done_before,
            self.before, self.next_lesson, self.session_running, self.resume, self.tab_text,
            self.tab_terminal, self.resize_split, self.leave_terminal, self.max_nodes,
            self.start_first_short, self.ports_of_all, self.uploading, self.confirm_remove,
            self.playground, self.copied_short, self.clipboard_blocked,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lessons lint` checks lesson text against `protocol::labels`: it must say what the
    /// buttons really say.
    #[test]
    fn the_button_names_lint_knows_are_the_uis() {
        use crate::i18n::Lang;
        for lang in Lang::ALL {
            let s = lang.strings();
            let shown = [
                ("run", s.run), ("write_file", s.write_file), ("copy", s.copy), ("check", s.check),
                ("skip", s.skip), ("next", s.next), ("show_solution", s.show_solution),
                ("hide_solution", s.hide_solution), ("start_lesson", s.start_lesson),
                ("end_session", s.end_session), ("add_node", s.add_node), ("reset_node", s.reset_node),
                ("remove_node", s.remove_node), ("upload", s.upload), ("reconnect", s.reconnect),
            ];
            assert_eq!(shown.len(), protocol::labels::BUTTONS.len());
            for (what, label) in shown {
                assert_eq!(protocol::labels::label(what, lang.code()), Some(label), "{what} in {}", lang.code());
            }
        }
    }

    #[test]
    fn every_ux_string_is_translated() {
        for (a, b) in ES.all().iter().zip(EN.all()) {
            assert!(!a.trim().is_empty() && !b.trim().is_empty());
            if *a != "Terminal" {
                assert_ne!(*a, b, "untranslated string {a:?}");
            }
        }
    }
}
