//! The classroom's strings (instructor dashboard, join page, student messages), kept apart from
//! [`super::Strings`] so the classroom's pages add no field to it.

use super::Lang;

/// Every text of the classroom's pages.
#[derive(Debug, PartialEq, Eq)]
pub struct ClassStrings {
    pub instructor: &'static str,
    pub need_token: &'static str,
    pub classes: &'static str,
    pub new_class: &'static str,
    pub class_name: &'static str,
    pub lessons_label: &'static str,
    pub playground: &'static str,
    pub nodes_per_student: &'static str,
    pub duration_min: &'static str,
    pub seats: &'static str,
    pub create: &'static str,
    pub open: &'static str,
    pub ended: &'static str,
    pub join_code: &'static str,
    pub join_link: &'static str,
    pub student: &'static str,
    pub on_step: &'static str,
    pub stuck_after: &'static str,
    pub minutes: &'static str,
    pub no_students: &'static str,
    pub extend_all: &'static str,
    pub end_all: &'static str,
    pub confirm_end: &'static str,
    pub export_csv: &'static str,
    pub message_all: &'static str,
    pub send: &'static str,
    pub message: &'static str,
    pub watch: &'static str,
    pub reset_node: &'static str,
    pub read_only: &'static str,
    pub close: &'static str,
    pub left: &'static str,
    pub join_title: &'static str,
    pub your_name: &'static str,
    pub join: &'static str,
    pub joining: &'static str,
    pub type_code: &'static str,
    pub from_instructor: &'static str,
    pub seats_left: &'static str,
    pub extended: &'static str,
    pub at_maximum: &'static str,
    pub class_lessons: &'static str,
    pub lesson_word: &'static str,
    pub of: &'static str,
    pub next_lesson: &'static str,
}

static ES: ClassStrings = ClassStrings {
    instructor: "Panel del instructor",
    need_token: "Abre el enlace de instructor que imprime `muelle serve` (o `muelle instructor token`).",
    classes: "Clases",
    new_class: "Nueva clase",
    class_name: "Nombre de la clase",
    lessons_label: "Lecciones (en orden)",
    playground: "Sin lecciones: terminal libre",
    nodes_per_student: "Nodos por alumno",
    duration_min: "Duración de cada sesión (min)",
    seats: "Plazas",
    create: "Crear la clase",
    open: "Abrir",
    ended: "terminada",
    join_code: "Código",
    join_link: "Enlace para unirse",
    student: "Alumno",
    on_step: "En este paso",
    stuck_after: "Atascado tras",
    minutes: "min",
    no_students: "Aún no se ha unido nadie.",
    extend_all: "Extender a todos",
    end_all: "Terminar la clase",
    confirm_end: "¿Terminar la clase y todas las sesiones de los alumnos?",
    export_csv: "Exportar CSV",
    message_all: "Mensaje para todos",
    send: "Enviar",
    message: "Mensaje",
    watch: "Ver terminal",
    reset_node: "Reiniciar sus nodos",
    read_only: "Solo lectura",
    close: "Cerrar",
    left: "sin sesión",
    join_title: "Unirse a la clase",
    your_name: "Tu nombre",
    join: "Unirme",
    joining: "Preparando tu sesión…",
    type_code: "Escribe el código que te dio tu profesor",
    from_instructor: "Mensaje del profesor",
    seats_left: "plazas libres",
    extended: "sesiones extendidas",
    at_maximum: "ya en el máximo, sin extender",
    class_lessons: "Lecciones de la clase",
    lesson_word: "Lección",
    of: "de",
    next_lesson: "Siguiente lección",
};

static EN: ClassStrings = ClassStrings {
    instructor: "Instructor dashboard",
    need_token: "Open the instructor link that `muelle serve` prints (or `muelle instructor token`).",
    classes: "Classes",
    new_class: "New class",
    class_name: "Class name",
    lessons_label: "Lessons (in order)",
    playground: "No lessons: free playground",
    nodes_per_student: "Nodes per student",
    duration_min: "Each session lasts (min)",
    seats: "Seats",
    create: "Create the class",
    open: "Open",
    ended: "ended",
    join_code: "Code",
    join_link: "Join link",
    student: "Student",
    on_step: "On this step",
    stuck_after: "Stuck after",
    minutes: "minutes",
    no_students: "Nobody has joined yet.",
    extend_all: "Extend all",
    end_all: "End the class",
    confirm_end: "End the class and every student's session?",
    export_csv: "Export CSV",
    message_all: "Message to everyone",
    send: "Send",
    message: "Message",
    watch: "Watch terminal",
    reset_node: "Reset their nodes",
    read_only: "Read-only",
    close: "Close",
    left: "no session",
    join_title: "Join the class",
    your_name: "Your name",
    join: "Join",
    joining: "Preparing your session…",
    type_code: "Type the code your teacher gave you",
    from_instructor: "Message from your teacher",
    seats_left: "seats left",
    extended: "sessions extended",
    at_maximum: "already at the maximum, not extended",
    class_lessons: "The class's lessons",
    lesson_word: "Lesson",
    of: "of",
    next_lesson: "Next lesson",
};

impl Lang {
    /// The classroom's strings in this language.
    pub fn class_strings(self) -> &'static ClassStrings {
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
        assert_ne!(ES.join, EN.join);
    }
}
