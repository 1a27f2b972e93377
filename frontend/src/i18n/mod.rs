//! UI strings in Spanish and English, and how the language is chosen.
//!
//! Every language is one [`Strings`] value (`es.rs`, `en.rs`; the struct in `strings.rs`), so
//! a missing translation is a compile error.

mod admin;
mod class;
mod editor;
mod en;
mod es;
mod ssh;
mod strings;
mod ux;

pub use admin::AdminStrings;
pub use class::ClassStrings;
pub use editor::EditorStrings;
pub use ssh::Ssh;
pub use strings::Strings;
pub use ux::Ux;

/// A UI language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Spanish.
    Es,
    /// English.
    En,
}

impl Lang {
    /// Picks the language for a BCP 47 tag such as `navigator.language` (`es-AR` → Spanish);
    /// anything that is not Spanish gets English.
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag.split(['-', '_']).next().unwrap_or("").trim();
        if primary.eq_ignore_ascii_case("es") {
            Lang::Es
        } else {
            Lang::En
        }
    }

    /// Parses a stored code (`es`/`en`); `None` for anything else.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "es" => Some(Lang::Es),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The code stored in localStorage and put in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    /// The languages offered by the switch, in display order.
    pub const ALL: [Lang; 2] = [Lang::Es, Lang::En];

    /// This language's strings.
    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::Es => &es::ES,
            Lang::En => &en::EN,
        }
    }

    /// This language's issue-12 strings (`ux.rs`).
    pub fn ux(self) -> &'static Ux {
        match self {
            Lang::Es => &ux::ES,
            Lang::En => &ux::EN,
        }
    }

    /// This language's SSH strings (`ssh.rs`).
    pub fn ssh(self) -> &'static Ssh {
        match self {
            Lang::Es => &ssh::ES,
            Lang::En => &ssh::EN,
        }
    }

    /// This language's file editor strings (`editor.rs`).
    pub fn editor(self) -> &'static EditorStrings {
        match self {
            Lang::Es => &editor::ES,
            Lang::En => &editor::EN,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_selects_language() {
        assert_eq!(Lang::from_tag("es"), Lang::Es);
        assert_eq!(Lang::from_tag("es-AR"), Lang::Es);
        assert_eq!(Lang::from_tag("ES_es"), Lang::Es);
        assert_eq!(Lang::from_tag("en-US"), Lang::En);
        assert_eq!(Lang::from_tag("de"), Lang::En);
        assert_eq!(Lang::from_tag(""), Lang::En);
        assert_eq!(Lang::from_tag("est"), Lang::En);
    }

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
        }
        assert_eq!(Lang::parse("fr"), None);
    }

    #[test]
    fn every_string_is_translated() {
        let (es, en) = (Lang::Es.strings().all(), Lang::En.strings().all());
        assert_eq!(es.len(), en.len());
        for (a, b) in es.iter().zip(&en) {
            assert!(!a.trim().is_empty() && !b.trim().is_empty());
            assert_ne!(a, b, "untranslated string {a:?}");
        }
        assert_eq!(
            Lang::Es.strings().minutes,
            Lang::En.strings().minutes,
            "min is both"
        );
    }

    #[test]
    fn node_placeholders_are_in_both_languages() {
        for lang in [Lang::Es, Lang::En] {
            let s = lang.strings();
            assert!(s.confirm_reset.contains("{node}"), "{lang:?}");
            assert!(s.node_stopped_explain.starts_with("{node} "), "{lang:?}");
        }
    }

    #[test]
    fn other_language() {
        assert_eq!(Lang::Es.other(), Lang::En);
        assert_eq!(Lang::En.other(), Lang::Es);
    }
}
