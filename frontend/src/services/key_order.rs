//! Keys typed while a paste is still being read from the clipboard wait behind it.
//!
//! `navigator.clipboard.readText()` answers asynchronously, so "Ctrl+V, Enter" would otherwise
//! send the Enter before the pasted text. [`KeyOrder`] keeps what the shell must receive in the
//! order the student pressed the keys: pending pastes are placeholders, keys behind them wait,
//! and everything up to the first unanswered paste is released as soon as it can be.

use std::collections::VecDeque;

/// At most this many bytes of keys wait behind pending pastes; more typing is dropped (a stuck
/// clipboard must not grow memory without bound).
pub const MAX_WAITING: usize = 64 * 1024;

enum Held {
    Keys(String),
    Paste(u32),
}

/// The order of typed keys and pastes of one terminal.
#[derive(Default)]
pub struct KeyOrder {
    held: VecDeque<Held>,
    next_paste: u32,
    waiting_bytes: usize,
}

impl KeyOrder {
    /// Keys typed: returns them when nothing waits ahead of them, else keeps them.
    pub fn typed(&mut self, keys: String) -> Option<String> {
        if self.held.is_empty() {
            return Some(keys);
        }
        if self.waiting_bytes + keys.len() <= MAX_WAITING {
            self.waiting_bytes += keys.len();
            self.held.push_back(Held::Keys(keys));
        }
        None
    }

    /// A paste began (the clipboard is being read): later keys wait for it. Returns its id.
    pub fn paste_started(&mut self) -> u32 {
        let id = self.next_paste;
        self.next_paste = self.next_paste.wrapping_add(1);
        self.held.push_back(Held::Paste(id));
        id
    }

    /// Paste `id` was read (`text`, as xterm encodes it; empty when the clipboard refused):
    /// returns what may be sent now, in order.
    pub fn paste_done(&mut self, id: u32, text: String) -> String {
        if let Some(slot) = self.held.iter_mut().find(|h| matches!(h, Held::Paste(p) if *p == id)) {
            self.waiting_bytes += text.len();
            *slot = Held::Keys(text);
        }
        let mut out = String::new();
        while let Some(Held::Keys(_)) = self.held.front() {
            if let Some(Held::Keys(k)) = self.held.pop_front() {
                self.waiting_bytes = self.waiting_bytes.saturating_sub(k.len());
                out.push_str(&k);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_go_straight_through_when_no_paste_waits() {
        let mut o = KeyOrder::default();
        assert_eq!(o.typed("ls".into()).as_deref(), Some("ls"));
    }

    #[test]
    fn enter_after_ctrl_v_waits_for_the_pasted_text() {
        let mut o = KeyOrder::default();
        let p = o.paste_started();
        assert_eq!(o.typed("\r".into()), None);
        assert_eq!(o.paste_done(p, "echo hi".into()), "echo hi\r");
        assert_eq!(o.typed("x".into()).as_deref(), Some("x"));
    }

    #[test]
    fn two_pastes_answered_out_of_order_keep_the_keys_order() {
        let mut o = KeyOrder::default();
        let p1 = o.paste_started();
        o.typed("a".into());
        let p2 = o.paste_started();
        o.typed("b".into());
        assert_eq!(o.paste_done(p2, "2".into()), "", "paste 1 still pending");
        assert_eq!(o.paste_done(p1, "1".into()), "1a2b");
    }

    #[test]
    fn a_refused_paste_releases_the_keys_behind_it() {
        let mut o = KeyOrder::default();
        let p = o.paste_started();
        o.typed("\r".into());
        assert_eq!(o.paste_done(p, String::new()), "\r");
    }

    #[test]
    fn typing_behind_a_stuck_paste_is_bounded() {
        let mut o = KeyOrder::default();
        let p = o.paste_started();
        let chunk = "k".repeat(1024);
        for _ in 0..200 {
            o.typed(chunk.clone());
        }
        let out = o.paste_done(p, String::new());
        assert_eq!(out.len(), MAX_WAITING);
    }
}
