//! Strings of the node file editor (CodeMirror, issue 11 point 5), apart so that they are one
//! file to merge. Same rule as the others: every language fills every field.

/// The editor texts of one language.
#[derive(Debug, PartialEq, Eq)]
pub struct EditorStrings {
    /// While the editor's script loads (the first file opened).
    pub loading_editor: &'static str,
    /// The editor's script could not be loaded.
    pub editor_failed: &'static str,
    /// A file that is not UTF-8 text.
    pub binary_file: &'static str,
    /// Confirm before dropping unsaved changes ({file}).
    pub discard_changes: &'static str,
    /// Tooltip of the unsaved-changes marker.
    pub unsaved: &'static str,
    /// Save shortcut hint next to the Save button.
    pub save_hint: &'static str,
}

/// Spanish.
pub const ES: EditorStrings = EditorStrings {
    loading_editor: "Cargando el editor…",
    editor_failed: "No se pudo cargar el editor: recarga la página.",
    binary_file: "No es un archivo de texto (binario): descárgalo.",
    discard_changes: "{file} tiene cambios sin guardar. ¿Descartarlos?",
    unsaved: "Cambios sin guardar",
    save_hint: "Guardar (Ctrl+S)",
};

/// English.
pub const EN: EditorStrings = EditorStrings {
    loading_editor: "Loading editor…",
    editor_failed: "The editor could not be loaded: reload the page.",
    binary_file: "Not a text file (binary): download it instead.",
    discard_changes: "{file} has unsaved changes. Discard them?",
    unsaved: "Unsaved changes",
    save_hint: "Save (Ctrl+S)",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_editor_string_is_translated() {
        let all = |s: &EditorStrings| {
            [s.loading_editor, s.editor_failed, s.binary_file, s.discard_changes, s.unsaved, s.save_hint]
        };
        for (a, b) in all(&ES).iter().zip(all(&EN)) {
            assert!(!a.trim().is_empty() && !b.trim().is_empty());
            assert_ne!(*a, b, "untranslated string {a:?}");
        }
        assert!(ES.discard_changes.contains("{file}") && EN.discard_changes.contains("{file}"));
    }
}
