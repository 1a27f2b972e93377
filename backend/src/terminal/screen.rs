//! A terminal's screen as the server keeps it: a `vt100` emulator fed with everything the shell
//! prints, with a bounded scrollback, rendered as escape sequences when a socket attaches.

use std::fmt::Write as _;
use std::num::NonZeroU16;

use vt100::capture::{BasicFormattedCaptureRange, BasicFormattedCaptureState};

/// Lines of scrollback kept per terminal (a cell is 32 bytes: about 2.5 MB at 80 columns).
pub const SCROLLBACK_LINES: usize = 1000;
/// Largest size a client may set (a huge resize would make the emulator allocate for it).
pub const MAX_COLS: u16 = 500;
/// Largest height a client may set.
pub const MAX_ROWS: u16 = 200;

/// `cols`×`rows` clamped to what a terminal may have (at least 2×2, at most
/// [`MAX_COLS`]×[`MAX_ROWS`]).
pub fn clamp_size(cols: u16, rows: u16) -> (u16, u16) {
    (cols.clamp(2, MAX_COLS), rows.clamp(2, MAX_ROWS))
}

/// The emulator of one terminal.
pub struct Screen {
    parser: vt100::Parser,
}

fn nz(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN)
}

impl Screen {
    /// An empty screen of `cols`×`rows` (clamped).
    pub fn new(cols: u16, rows: u16) -> Self {
        let (cols, rows) = clamp_size(cols, rows);
        Self { parser: vt100::Parser::new(nz(rows), nz(cols), SCROLLBACK_LINES) }
    }

    /// Feeds shell output.
    pub fn process(&mut self, bytes: &[u8]) {
        self.parser.process(bytes);
    }

    /// Resizes (already clamped by the caller).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.parser.set_size(nz(rows), nz(cols));
    }

    /// (cols, rows).
    pub fn size(&self) -> (u16, u16) {
        let (rows, cols) = self.parser.screen().size();
        (cols.get(), rows.get())
    }

    /// Bytes that turn a fresh (or any: it starts with a full reset) xterm of the same size into
    /// this screen: the scrollback and the visible rows, the cursor, the current attributes and
    /// the input modes (application cursor keys, bracketed paste, mouse reporting).
    pub fn render(&self) -> Vec<u8> {
        let screen = self.parser.screen();
        // RIS: clears the screen and the scrollback of a terminal that showed an older copy.
        let mut out = String::from("\x1bc");
        if screen.alternate_screen() {
            // A full-screen program (vim, top): its screen only; the main screen's lines are
            // not kept by the emulator while the alternate one is shown.
            out.push_str("\x1b[?1049h");
            out.push_str(&screen.contents_formatted());
        } else {
            // Every line once, oldest first, as plain text with colours: the last `rows` lines
            // end up on the screen, the others in the terminal's own scrollback.
            let mut lines = String::new();
            let mut state = BasicFormattedCaptureState::new();
            // Writing to a String cannot fail.
            let _ = screen.write_contents_formatted_basic(&mut lines, BasicFormattedCaptureRange::Full(&mut state));
            out.push_str(&lines.replace('\n', "\r\n"));
            let (row, col) = screen.cursor_position();
            let _ = write!(out, "\x1b[0m\x1b[{};{}H", u32::from(row) + 1, u32::from(col) + 1);
            out.push_str(&screen.attributes_formatted());
            if screen.hide_cursor() {
                out.push_str("\x1b[?25l");
            }
        }
        out.push_str(&screen.input_mode_formatted());
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays `bytes` into a fresh emulator of the same size: what a browser would show.
    fn replay(screen: &Screen) -> vt100::Parser {
        let (cols, rows) = screen.size();
        let mut p = vt100::Parser::new(nz(rows), nz(cols), SCROLLBACK_LINES);
        p.process(&screen.render());
        p
    }

    #[test]
    fn a_rendered_screen_replays_to_the_same_contents_and_cursor() {
        let mut s = Screen::new(40, 5);
        s.process(b"one\r\n\x1b[31mred\x1b[0m two\r\n$ ");
        let p = replay(&s);
        assert_eq!(p.screen().contents(), s.parser.screen().contents());
        assert_eq!(p.screen().cursor_position(), (2, 2));
        assert_eq!(p.screen().cell(1, 0).unwrap().fgcolor(), vt100::Color::Idx(1));
    }

    #[test]
    fn scrollback_is_rendered_before_the_screen_once() {
        let mut s = Screen::new(20, 3);
        for i in 0..10 {
            s.process(format!("line{i}\r\n").as_bytes());
        }
        s.process(b"$ ");
        let text = String::from_utf8(s.render()).unwrap();
        for i in 0..10 {
            assert_eq!(text.matches(&format!("line{i}\r")).count(), 1, "line{i} in {text:?}");
        }
        let p = replay(&s);
        assert_eq!(p.screen().contents(), "line8\nline9\n$ ");
        assert_eq!(p.screen().cursor_position(), (2, 2));
    }

    #[test]
    fn wrapped_lines_stay_one_line() {
        let mut s = Screen::new(10, 4);
        s.process(b"0123456789abcdef\r\n$ ");
        let p = replay(&s);
        assert_eq!(p.screen().contents(), s.parser.screen().contents());
        assert!(p.screen().row_wrapped(0));
    }

    #[test]
    fn full_screen_programs_and_input_modes_are_restored() {
        let mut s = Screen::new(20, 4);
        s.process(b"\x1b[?1049h\x1b[?1h\x1b[?2004h\x1b[2;3Hvim here");
        let p = replay(&s);
        assert!(p.screen().alternate_screen());
        assert!(p.screen().application_cursor());
        assert!(p.screen().bracketed_paste());
        assert_eq!(p.screen().contents(), s.parser.screen().contents());
        assert_eq!(p.screen().cursor_position(), (1, 10));
    }

    #[test]
    fn sizes_are_clamped_and_scrollback_is_bounded() {
        assert_eq!(clamp_size(0, 0), (2, 2));
        assert_eq!(clamp_size(u16::MAX, u16::MAX), (MAX_COLS, MAX_ROWS));
        let mut s = Screen::new(10, 2);
        for i in 0..(SCROLLBACK_LINES + 500) {
            s.process(format!("{i}\r\n").as_bytes());
        }
        let text = String::from_utf8(s.render()).unwrap();
        assert!(text.lines().count() <= SCROLLBACK_LINES + 2, "{}", text.lines().count());
    }
}
