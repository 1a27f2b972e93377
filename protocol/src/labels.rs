//! The names of the UI's buttons in each language, as the front end shows them: lesson text that
//! names a button (`Press **Run**`) must use the name of its own language, and `lessons lint`
//! checks it against this table. The front end's strings are tested to match it.

/// `(what, English, Spanish)` for every button a lesson may name.
pub const BUTTONS: &[(&str, &str, &str)] = &[
    ("run", "Run", "Ejecutar"),
    ("write_file", "Write file", "Escribir archivo"),
    ("copy", "Copy", "Copiar"),
    ("check", "Check", "Comprobar"),
    ("skip", "Skip", "Saltar"),
    ("next", "Next", "Siguiente"),
    ("show_solution", "Show solution", "Ver solución"),
    ("hide_solution", "Hide solution", "Ocultar solución"),
    ("start_lesson", "Start lesson", "Empezar"),
    ("end_session", "End session", "Terminar sesión"),
    ("add_node", "+ Add node", "+ Añadir nodo"),
    ("reset_node", "Reset node", "Reiniciar nodo"),
    ("remove_node", "Remove node", "Quitar nodo"),
    ("upload", "Upload file", "Subir archivo"),
    ("reconnect", "Reconnect", "Reconectar"),
];

/// The UI languages of [`BUTTONS`], in column order.
pub const LANGS: [&str; 2] = ["en", "es"];

/// A button name compared loosely: without a leading `+`, surrounding spaces or a final `:`/`.`,
/// and case-insensitively (`**add node**` still names "+ Add node").
fn loose(name: &str) -> String {
    name.trim().trim_start_matches('+').trim().trim_end_matches([':', '.']).trim().to_lowercase()
}

/// The label of button `what` in `lang` (`en`/`es`).
pub fn label(what: &str, lang: &str) -> Option<&'static str> {
    let (_, en, es) = BUTTONS.iter().find(|(w, _, _)| *w == what)?;
    match lang {
        "en" => Some(en),
        "es" => Some(es),
        _ => None,
    }
}

/// When `name` (bold text of a lesson in `lang`) is a button's name in another UI language but
/// not in `lang`: the name `lang`'s UI shows instead. `None` when it is fine or names no button.
pub fn wrong_language(name: &str, lang: &str) -> Option<&'static str> {
    if !LANGS.contains(&lang) {
        return None;
    }
    let name = loose(name);
    let own = |(_, en, es): &(&str, &'static str, &'static str)| if lang == "en" { *en } else { *es };
    if BUTTONS.iter().any(|b| loose(own(b)) == name) {
        return None;
    }
    BUTTONS.iter().find(|(_, en, es)| loose(en) == name || loose(es) == name).map(own)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_button_named_in_the_other_language_is_found() {
        assert_eq!(wrong_language("Run", "es"), Some("Ejecutar"));
        assert_eq!(wrong_language("Ejecutar", "en"), Some("Run"));
        assert_eq!(wrong_language("add node", "es"), Some("+ Añadir nodo"));
        assert_eq!(wrong_language("Ejecutar", "es"), None);
        assert_eq!(wrong_language("Run", "en"), None);
        assert_eq!(wrong_language("docker run", "es"), None, "not a button");
        assert_eq!(wrong_language("Run", "fr"), None, "no UI in that language");
        assert_eq!(label("check", "es"), Some("Comprobar"));
        assert_eq!(label("nope", "es"), None);
    }

    #[test]
    fn names_do_not_collide_across_languages() {
        // A name in both columns of different buttons would make the check ambiguous.
        for (w, en, _) in BUTTONS {
            for (v, _, es) in BUTTONS {
                assert!(w == v || loose(en) != loose(es), "{en} / {es}");
            }
        }
    }
}
