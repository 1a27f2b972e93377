//! Strings of the SSH button (issue 11 point 7), apart so that they are one file to merge.
//! Same rule as the others: every language fills every field.

/// The SSH texts of one language.
#[derive(Debug, PartialEq, Eq)]
pub struct Ssh {
    /// The node bar's button.
    pub button: &'static str,
    /// Its tooltip.
    pub title: &'static str,
    /// Above the command.
    pub intro: &'static str,
    /// When the server has no SSH endpoint.
    pub disabled: &'static str,
    /// Below the command: what the shell is.
    pub note: &'static str,
    /// While the command is read.
    pub loading: &'static str,
    /// Closes the panel.
    pub close: &'static str,
    /// Before the password form's user name.
    pub user_label: &'static str,
    /// What the password is.
    pub password_is_token: &'static str,
    /// Copies the session token.
    pub copy_token: &'static str,
    /// Above the command that needs no password.
    pub no_password: &'static str,
    /// Before the `scp` command.
    pub files: &'static str,
    /// The local file in the `scp` command.
    pub file_example: &'static str,
}

/// Spanish.
pub const ES: Ssh = Ssh {
    button: "SSH",
    title: "Entrar a este nodo por SSH desde tu propia terminal",
    intro: "Abre una shell en {node} desde tu terminal con:",
    disabled: "SSH no está habilitado en este servidor.",
    note: "Cada conexión abre una shell nueva que aparece también en las pestañas del nodo. Este comando da acceso a tu sesión: no lo compartas.",
    loading: "Cargando…",
    close: "Cerrar",
    user_label: "Usuario:",
    password_is_token: "la contraseña es el token de tu sesión.",
    copy_token: "Copiar token",
    no_password: "O sin contraseña (la clave va en el nombre de usuario):",
    files: "Copiar archivos (scp o sftp, misma contraseña):",
    file_example: "archivo.txt",
};

/// English.
pub const EN: Ssh = Ssh {
    button: "SSH",
    title: "Reach this node over SSH from your own terminal",
    intro: "Open a shell on {node} from your terminal with:",
    disabled: "SSH is not enabled on this server.",
    note: "Each connection opens a new shell, also listed in the node's shell tabs. This command gives access to your session: do not share it.",
    loading: "Loading…",
    close: "Close",
    user_label: "User:",
    password_is_token: "the password is your session token.",
    copy_token: "Copy token",
    no_password: "Or without a password (the key is in the user name):",
    files: "Copy files (scp or sftp, same password):",
    file_example: "file.txt",
};

impl Ssh {
    /// Every field, for the translation test.
    #[cfg(test)]
    pub fn all(&self) -> [&'static str; 13] {
        [
            self.button,
            self.title,
            self.intro,
            self.disabled,
            self.note,
            self.loading,
            self.close,
            self.user_label,
            self.password_is_token,
            self.copy_token,
            self.no_password,
            self.files,
            self.file_example,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ssh_string_is_translated() {
        for (a, b) in ES.all().iter().zip(EN.all()) {
            assert!(!a.trim().is_empty() && !b.trim().is_empty());
            if *a != "SSH" {
                assert_ne!(*a, b, "untranslated string {a:?}");
            }
        }
        assert!(ES.intro.contains("{node}") && EN.intro.contains("{node}"));
    }
}
