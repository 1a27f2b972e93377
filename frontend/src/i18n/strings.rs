//! The struct every language fills in: one field per text the UI shows.

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
    // The catalog, lesson and playground pages.
    /// Link to the catalog and its heading.
    pub lessons: &'static str,
    /// Line under the catalog heading.
    pub catalog_intro: &'static str,
    /// Heading of the lessons that belong to no course.
    pub other_lessons: &'static str,
    /// After a course's lesson count.
    pub course_lessons: &'static str,
    /// After the count of a course's finished lessons.
    pub lessons_done: &'static str,
    /// Before the title of the first unfinished lesson of a course (a link).
    pub continue_with: &'static str,
    /// Every lesson of the course is finished.
    pub course_done: &'static str,
    /// Before what a lesson needs (nodes, images).
    pub needs: &'static str,
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
    /// The lesson's start button while its nodes start and its setup scripts run.
    pub preparing_env: &'static str,
    /// Heading of the error when the lesson's setup scripts failed (their output follows).
    pub setup_failed: &'static str,
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
    /// Reveals the step's solution (lessons with `solutions: true`).
    pub show_solution: &'static str,
    /// Hides it again.
    pub hide_solution: &'static str,
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
    /// Clipboard hint shown once above the terminals.
    pub clipboard_hint: &'static str,
    /// The browser refused clipboard access.
    pub clipboard_blocked: &'static str,
    /// The terminal's selection was copied.
    pub copied_selection: &'static str,
    /// Close a notice.
    pub dismiss: &'static str,
    /// A node's n-th shell, e.g. 'shell 2'.
    pub shell: &'static str,
    /// The + button: another shell on the node.
    pub new_shell: &'static str,
    /// Terminal font size down.
    pub font_smaller: &'static str,
    /// Terminal font size up.
    pub font_bigger: &'static str,
    /// Switch the terminal to the light theme.
    pub light_theme: &'static str,
    /// Switch the terminal to the dark theme.
    pub dark_theme: &'static str,
    /// Heading of the template buttons on the start page.
    pub templates: &'static str,
    /// Start page: link back to a running session of this device.
    pub resume: &'static str,
    /// Button that adds time to the session.
    pub extend: &'static str,
    /// Notice when five minutes are left.
    pub warn_5min: &'static str,
    /// Notice when one minute is left.
    pub warn_1min: &'static str,
    /// Button and heading of the file browser.
    pub files: &'static str,
    /// Editor button that saves the file.
    pub save: &'static str,
    /// Shown after a save.
    pub saved: &'static str,
    /// Button that creates a file in the shown directory.
    pub new_file: &'static str,
    /// Asked for the new file's name.
    pub new_file_name: &'static str,
    /// Button that downloads a file or the directory (tar).
    pub download: &'static str,
    /// Button that goes to the parent directory.
    pub parent_dir: &'static str,
    /// Button that closes the editor or the file browser.
    pub close: &'static str,
    /// A file too large for the editor.
    pub too_big_to_edit: &'static str,
    /// Label of the node's memory use.
    pub memory: &'static str,
    /// Label of the node's disk use.
    pub disk: &'static str,
    /// Error: the server drains before maintenance (no new sessions; live ones go on).
    pub draining: &'static str,
}

#[cfg(test)]
impl Strings {
    /// All single strings, for completeness checks (`minutes` is "min" in both languages).
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
            self.lessons,
            self.catalog_intro,
            self.other_lessons,
            self.course_lessons,
            self.lessons_done,
            self.continue_with,
            self.course_done,
            self.needs,
            self.loading,
            self.node,
            self.nodes,
            self.steps,
            self.start_lesson,
            self.preparing_env,
            self.setup_failed,
            self.start_first,
            self.step,
            self.run,
            self.not_connected,
            self.write_file,
            self.file_written,
            self.file_failed,
            self.copy,
            self.copied,
            self.interactive,
            self.check,
            self.not_yet,
            self.no_hint,
            self.skip,
            self.confirm_skip,
            self.skip_failed,
            self.show_solution,
            self.hide_solution,
            self.next,
            self.done,
            self.all_done,
            self.add_node,
            self.remove_node,
            self.reset_node,
            self.resetting,
            self.confirm_reset,
            self.node_stopped,
            self.node_stopped_explain,
            self.upload,
            self.drop_here,
            self.uploaded,
            self.upload_unavailable,
            self.ports,
            self.no_ports,
            self.ports_unavailable,
            self.join_code,
            self.clipboard_hint,
            self.clipboard_blocked,
            self.copied_selection,
            self.dismiss,
            self.shell,
            self.new_shell,
            self.font_smaller,
            self.font_bigger,
            self.light_theme,
            self.dark_theme,
            self.templates,
            self.resume,
            self.extend,
            self.warn_5min,
            self.warn_1min,
            self.files,
            self.save,
            self.saved,
            self.new_file,
            self.new_file_name,
            self.download,
            self.parent_dir,
            self.close,
            self.too_big_to_edit,
            self.memory,
            self.disk,
            self.draining,
        ];
        v.extend(self.features);
        v
    }
}
