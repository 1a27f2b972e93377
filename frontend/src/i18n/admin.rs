//! The admin view's strings (`/admin`), kept apart from [`super::Strings`] as the classroom's are.

use super::Lang;

/// Every text of the admin page.
#[derive(Debug, PartialEq, Eq)]
pub struct AdminStrings {
    pub title: &'static str,
    pub need_credential: &'static str,
    pub credential: &'static str,
    pub use_credential: &'static str,
    pub refused: &'static str,
    pub sessions: &'static str,
    pub no_sessions: &'static str,
    pub session: &'static str,
    pub class: &'static str,
    pub age: &'static str,
    pub expires_in: &'static str,
    pub nodes: &'static str,
    pub memory: &'static str,
    pub cpu: &'static str,
    pub client: &'static str,
    pub actions: &'static str,
    pub end: &'static str,
    pub end_label: &'static str,
    pub confirm_end: &'static str,
    pub drain_on: &'static str,
    pub drain_off: &'static str,
    pub draining: &'static str,
    pub accepting: &'static str,
    pub drain_explain: &'static str,
    pub playground: &'static str,
    pub unknown: &'static str,
    pub refreshed: &'static str,
}

static ES: AdminStrings = AdminStrings {
    title: "Administración",
    need_credential: "Abre el enlace de administración que imprime `muelle serve`, o pega aquí el token de administración o un token de instructor.",
    credential: "Token de administración o de instructor",
    use_credential: "Entrar",
    refused: "El servidor rechazó ese token.",
    sessions: "Sesiones en marcha",
    no_sessions: "No hay ninguna sesión en marcha.",
    session: "Sesión",
    class: "Clase",
    age: "Edad",
    expires_in: "Caduca en",
    nodes: "Nodos",
    memory: "Memoria",
    cpu: "CPU",
    client: "Dirección del cliente",
    actions: "Acciones",
    end: "Terminar",
    end_label: "Terminar la sesión {id}",
    confirm_end: "¿Terminar la sesión {id}? Sus nodos se borran y el alumno la pierde.",
    drain_on: "Drenar: no aceptar sesiones nuevas",
    drain_off: "Volver a aceptar sesiones nuevas",
    draining: "Drenando: las sesiones nuevas se rechazan; las que están en marcha siguen.",
    accepting: "Aceptando sesiones nuevas.",
    drain_explain: "Antes de un mantenimiento: drena y espera a que terminen las sesiones en marcha.",
    playground: "terminal libre",
    unknown: "desconocida",
    refreshed: "Se actualiza cada pocos segundos.",
};

static EN: AdminStrings = AdminStrings {
    title: "Admin",
    need_credential: "Open the admin link that `muelle serve` prints, or paste the admin token or an instructor token here.",
    credential: "Admin or instructor token",
    use_credential: "Sign in",
    refused: "The server refused that token.",
    sessions: "Live sessions",
    no_sessions: "No session is live.",
    session: "Session",
    class: "Class",
    age: "Age",
    expires_in: "Expires in",
    nodes: "Nodes",
    memory: "Memory",
    cpu: "CPU",
    client: "Client address",
    actions: "Actions",
    end: "End",
    end_label: "End session {id}",
    confirm_end: "End session {id}? Its nodes are deleted and the student loses it.",
    drain_on: "Drain: refuse new sessions",
    drain_off: "Accept new sessions again",
    draining: "Draining: new sessions are refused; live ones go on.",
    accepting: "Accepting new sessions.",
    drain_explain: "Before maintenance: drain, then wait for the live sessions to end.",
    playground: "playground",
    unknown: "unknown",
    refreshed: "Refreshed every few seconds.",
};

impl Lang {
    /// The admin page's strings in this language.
    pub fn admin_strings(self) -> &'static AdminStrings {
        match self {
            Lang::Es => &ES,
            Lang::En => &EN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_differ_and_are_filled() {
        let (es, en) = (format!("{ES:?}"), format!("{EN:?}"));
        assert_ne!(es, en);
        assert!(!es.contains(": \"\"") && !en.contains(": \"\""));
        for s in [&ES, &EN] {
            assert!(s.confirm_end.contains("{id}") && s.end_label.contains("{id}"));
        }
    }
}
