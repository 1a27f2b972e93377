//! UI strings in Spanish and English, and how the language is chosen.
//!
//! Every language is one `Strings` value, so a missing translation is a compile error.

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
            Lang::Es => &ES,
            Lang::En => &EN,
        }
    }
}

/// Every text the UI shows.
#[derive(Debug, PartialEq, Eq)]
pub struct Strings {
    /// One-line pitch under the product name.
    pub pitch: &'static str,
    /// Short feature notes on the start page.
    pub features: [&'static str; 3],
    /// The start button.
    pub start: &'static str,
    /// The start button while the session is being created.
    pub starting: &'static str,
    /// Label before the countdown.
    pub time_left: &'static str,
    /// Button that deletes the session.
    pub end_session: &'static str,
    /// Shown when the countdown reaches zero or the session is gone.
    pub session_ended: &'static str,
    /// Button that starts a new session after the old one ended.
    pub start_new: &'static str,
    /// Terminal status: connecting.
    pub connecting: &'static str,
    /// Terminal status: connected.
    pub connected: &'static str,
    /// Terminal status: socket closed.
    pub disconnected: &'static str,
    /// Terminal status: shell exited (code follows).
    pub shell_exited: &'static str,
    /// Button that opens a new socket to the same node.
    pub reconnect: &'static str,
    /// Error: no slots left.
    pub out_of_capacity: &'static str,
    /// Error: the session is unknown or expired.
    pub session_not_found: &'static str,
    /// Error: the token was rejected.
    pub unauthorized: &'static str,
    /// Error: the server could not be reached.
    pub network: &'static str,
    /// Error: anything else (the server's message follows).
    pub generic_error: &'static str,
    /// Page not found.
    pub not_found: &'static str,
    /// Link back to the start page.
    pub back_home: &'static str,
    /// Accessible label of the language switch.
    pub language: &'static str,
}

#[cfg(test)]
impl Strings {
    /// All single strings, for completeness checks.
    pub fn all(&self) -> Vec<&'static str> {
        let mut v = vec![
            self.pitch,
            self.start,
            self.starting,
            self.time_left,
            self.end_session,
            self.session_ended,
            self.start_new,
            self.connecting,
            self.connected,
            self.disconnected,
            self.shell_exited,
            self.reconnect,
            self.out_of_capacity,
            self.session_not_found,
            self.unauthorized,
            self.network,
            self.generic_error,
            self.not_found,
            self.back_home,
            self.language,
        ];
        v.extend(self.features);
        v
    }
}

static ES: Strings = Strings {
    pitch: "Una terminal Linux real en tu navegador para aprender Docker, sin instalar nada.",
    features: [
        "Docker de verdad en cada nodo",
        "Sesiones temporales, se borran solas",
        "Sin cuentas ni instalaciones",
    ],
    start: "Empezar",
    starting: "Preparando tu sesión…",
    time_left: "Tiempo restante",
    end_session: "Terminar sesión",
    session_ended: "La sesión terminó.",
    start_new: "Empezar una nueva",
    connecting: "Conectando…",
    connected: "Conectado",
    disconnected: "Desconectado",
    shell_exited: "La shell terminó con código",
    reconnect: "Reconectar",
    out_of_capacity: "No hay capacidad disponible; vuelve a intentarlo en unos minutos.",
    session_not_found: "Esta sesión no existe o ya caducó.",
    unauthorized: "Esta pestaña no tiene acceso a la sesión.",
    network: "No se pudo contactar con el servidor.",
    generic_error: "Algo salió mal",
    not_found: "Página no encontrada.",
    back_home: "Volver al inicio",
    language: "Idioma",
};

static EN: Strings = Strings {
    pitch: "A real Linux terminal in your browser to learn Docker, nothing to install.",
    features: [
        "Real Docker on every node",
        "Temporary sessions that clean up after themselves",
        "No accounts, no installs",
    ],
    start: "Start",
    starting: "Preparing your session…",
    time_left: "Time left",
    end_session: "End session",
    session_ended: "The session has ended.",
    start_new: "Start a new one",
    connecting: "Connecting…",
    connected: "Connected",
    disconnected: "Disconnected",
    shell_exited: "The shell exited with code",
    reconnect: "Reconnect",
    out_of_capacity: "Out of capacity, try again in a few minutes.",
    session_not_found: "This session does not exist or has expired.",
    unauthorized: "This tab has no access to the session.",
    network: "Could not reach the server.",
    generic_error: "Something went wrong",
    not_found: "Page not found.",
    back_home: "Back to the start page",
    language: "Language",
};

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
    }
}
