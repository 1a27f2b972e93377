//! The info string of a fenced block: `sh run node=node2 interrupt`, `check hint="…"`, …
//!
//! Grammar: whitespace-separated words. The first word is an action (`run`, `file`, `check`,
//! `solve`) or a language (`sh`, `dockerfile`, …). Later words are at most one action, the flags
//! `interrupt` and `interactive`, and `key=value` pairs (`node`, `path`, `hint`, `timeout`) whose
//! value may be double-quoted with `\"` and `\\` escapes.

use super::model::Action;
use super::suggest::{closest, did_you_mean};

/// The words of an info string, before checking what is allowed where.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Info {
    /// The language, if the first word is not an action.
    pub lang: String,
    /// The action word, if any.
    pub action: Option<Action>,
    /// `interrupt` was given.
    pub interrupt: bool,
    /// `interactive` was given.
    pub interactive: bool,
    /// `node=`.
    pub node: Option<String>,
    /// `path=`.
    pub path: Option<String>,
    /// `hint=`.
    pub hint: Option<String>,
    /// `fail=`: what the student is told when the check fails (what is still wrong).
    pub fail: Option<String>,
    /// `timeout=` in seconds.
    pub timeout_secs: Option<u32>,
}

/// Longest `timeout=` accepted, in seconds.
pub const MAX_TIMEOUT_SECS: u32 = 600;

/// Splits an info string into words, honouring double quotes. Errors on an unterminated quote.
pub fn tokenize(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match c {
                '"' => quoted = !quoted,
                '\\' if quoted => match chars.next() {
                    Some(e) => word.push(e),
                    None => break,
                },
                c if c.is_whitespace() && !quoted => break,
                c => word.push(c),
            }
        }
        if quoted {
            return Err("unterminated quote in info string".into());
        }
        words.push(word);
    }
    Ok(words)
}

fn action_word(w: &str) -> Option<Action> {
    match w {
        "run" => Some(Action::Run),
        "file" => Some(Action::File),
        "check" => Some(Action::Check),
        "solve" => Some(Action::Solve),
        _ => None,
    }
}

/// Parses an info string; every problem found is returned (the info is still usable).
pub fn parse(s: &str) -> (Info, Vec<String>) {
    let mut info = Info::default();
    let mut errs = Vec::new();
    let words = match tokenize(s) {
        Ok(w) => w,
        Err(e) => return (info, vec![e]),
    };
    // Words after an unquoted `key=value` that are nothing else: the value had spaces.
    let mut spills: Vec<(String, Vec<&str>)> = Vec::new();
    let mut spilling = false;
    for (i, word) in words.iter().enumerate() {
        if let Some(a) = action_word(word) {
            if let Some(prev) = info.action {
                errs.push(format!("two actions in one block: {prev:?} and `{word}`"));
            }
            info.action = Some(a);
        } else if let Some((key, value)) = word.split_once('=') {
            set_key(&mut info, key, value, &mut errs);
            let quoted = s.contains(&format!("{key}=\""));
            spilling = !quoted && KEYS.contains(&key);
            if spilling {
                spills.push((word.clone(), Vec::new()));
            }
            continue;
        } else if word == "interrupt" {
            info.interrupt = true;
        } else if word == "interactive" {
            info.interactive = true;
        } else if i == 0 && is_lang(word) {
            if let Some(a) = ACTIONS.iter().find(|a| near(word, a)) {
                errs.push(format!("unknown action `{word}` (did you mean `{a}`?)"));
                // Read on as if it were spelt right, so the typo is the only problem reported.
                info.action = info.action.or(action_word(a));
            } else {
                info.lang = word.clone();
            }
        } else if let Some((_, rest)) = spills.last_mut().filter(|_| spilling && closest(word, &WORDS).is_none()) {
            rest.push(word);
            continue;
        } else {
            let meant = closest(word, &WORDS);
            errs.push(format!("unknown word `{word}` in the info string{}", did_you_mean(word, &WORDS)));
            // Read on as if it were spelt right, so the typo is the only problem reported.
            match meant {
                Some("interrupt") => info.interrupt = true,
                Some("interactive") => info.interactive = true,
                Some(a) if info.action.is_none() => info.action = action_word(a),
                _ => {}
            }
        }
        spilling = false;
    }
    for (first, rest) in spills.into_iter().filter(|(_, rest)| !rest.is_empty()).rev() {
        let (key, value) = first.split_once('=').unwrap_or((&first, ""));
        let whole = std::iter::once(value).chain(rest).collect::<Vec<_>>().join(" ");
        // The root cause goes first: the value was cut at its first space.
        errs.insert(0, format!("`{key}=` value has spaces: put it in double quotes, {key}=\"{whole}\""));
        if let (Some(slot), true) = (hint_slot(&mut info, key), !whole.is_empty()) {
            *slot = Some(whole);
        }
    }
    check_combination(&info, &mut errs);
    (info, errs)
}

const ACTIONS: [&str; 4] = ["run", "file", "check", "solve"];

/// Keys an info string may have (`key=value`).
const KEYS: [&str; 5] = ["node", "path", "hint", "fail", "timeout"];

/// Every bare word an info string may have after its first: actions and flags.
const WORDS: [&str; 6] = ["run", "file", "check", "solve", "interrupt", "interactive"];

/// The text slot of `key` (hint, node, path), to keep the whole of a value that had spaces.
fn hint_slot<'a>(info: &'a mut Info, key: &str) -> Option<&'a mut Option<String>> {
    match key {
        "hint" => Some(&mut info.hint),
        "fail" => Some(&mut info.fail),
        _ => None,
    }
}

/// One edit (insert, delete, substitute or swap) away: a typo of an action, not a language.
fn near(word: &str, action: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (word.chars().collect(), action.chars().collect());
    if a == b || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let start = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[start..], &b[start..]);
    let tail = |i: usize, j: usize| ra.get(i..) == rb.get(j..);
    tail(1, 1)
        || tail(1, 0)
        || tail(0, 1)
        || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && tail(2, 2))
}

fn is_lang(w: &str) -> bool {
    w.chars()
        .all(|c| c.is_ascii_alphanumeric() || "+-_.#".contains(c))
}

fn set_key(info: &mut Info, key: &str, value: &str, errs: &mut Vec<String>) {
    let slot = match key {
        "node" => &mut info.node,
        "path" => &mut info.path,
        "hint" => &mut info.hint,
        "fail" => &mut info.fail,
        "timeout" => {
            match value.trim_end_matches('s').parse::<u32>() {
                Ok(t) if (1..=MAX_TIMEOUT_SECS).contains(&t) => info.timeout_secs = Some(t),
                _ => errs.push(format!(
                    "timeout=`{value}`: expected whole seconds from 1 to {MAX_TIMEOUT_SECS}"
                )),
            }
            return;
        }
        _ => {
            let known: Vec<String> = KEYS.iter().map(|k| format!("{k}=")).collect();
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            let hint = did_you_mean(&format!("{key}="), &known);
            return errs.push(format!("unknown key `{key}=` in info string{hint}"));
        }
    };
    if value.is_empty() {
        errs.push(format!("`{key}=` has an empty value"));
    }
    if slot.replace(value.to_string()).is_some() {
        errs.push(format!("`{key}=` given twice"));
    }
}

/// Which keys and flags make sense with which action.
fn check_combination(info: &Info, errs: &mut Vec<String>) {
    let action = info.action.unwrap_or(Action::Plain);
    let named = |a: Action| format!("{a:?}").to_lowercase();
    if (info.interrupt || info.interactive) && action != Action::Run {
        errs.push("`interrupt` and `interactive` only go with `run`".into());
    }
    if info.node.is_some() && action == Action::Plain {
        errs.push("`node=` needs an action (`run`, `file`, `check`, `solve`)".into());
    }
    match (&info.path, action) {
        (None, Action::File) => errs.push("`file` block without `path=`".into()),
        (Some(p), Action::File) if !p.starts_with('/') => {
            errs.push(format!("path=`{p}` must be absolute"))
        }
        (Some(_), a) if a != Action::File => {
            errs.push(format!("`path=` only goes with `file`, not {}", named(a)))
        }
        _ => {}
    }
    if info.hint.is_some() && action != Action::Check {
        errs.push("`hint=` only goes with `check`".into());
    }
    if info.fail.is_some() && action != Action::Check {
        errs.push("`fail=` only goes with `check`".into());
    }
    if info.timeout_secs.is_some() && !matches!(action, Action::Check | Action::Solve) {
        errs.push("`timeout=` only goes with `check` or `solve`".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_quotes_and_escapes() {
        let w = tokenize(r#"check hint="Run \"docker ps\" first" timeout=5"#).unwrap();
        assert_eq!(
            w,
            vec!["check", r#"hint=Run "docker ps" first"#, "timeout=5"]
        );
        assert!(tokenize(r#"check hint="open"#).is_err());
    }

    #[test]
    fn run_block_with_flags() {
        let (i, e) = parse("sh run node=node2 interrupt interactive");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(i.lang, "sh");
        assert_eq!(i.action, Some(Action::Run));
        assert_eq!(i.node.as_deref(), Some("node2"));
        assert!(i.interrupt && i.interactive);
    }

    #[test]
    fn file_block_language_first() {
        let (i, e) = parse("dockerfile file path=/root/app/Dockerfile");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(
            (i.lang.as_str(), i.action),
            ("dockerfile", Some(Action::File))
        );
        assert_eq!(i.path.as_deref(), Some("/root/app/Dockerfile"));
    }

    #[test]
    fn plain_languages_are_fine() {
        for s in ["", "text", "sh", "c++", "json"] {
            let (i, e) = parse(s);
            assert!(e.is_empty() && i.action.is_none(), "{s}: {e:?}");
        }
    }

    #[test]
    fn reports_misuse() {
        let cases = [
            ("sh runn", "unknown word `runn` in the info string (did you mean `run`?)"),
            ("sh fiel path=/x", "(did you mean `file`?)"),
            ("sh run interactve", "(did you mean `interactive`?)"),
            ("sh run nod=node1", "unknown key `nod=` in info string (did you mean `node=`?)"),
            ("chek", "did you mean `check`"),
            ("solev", "did you mean `solve`"),
            ("sh run color=red", "unknown key `color=`"),
            ("sh run docker", "unknown word `docker`"),
            ("file", "without `path=`"),
            ("file path=app/Dockerfile", "must be absolute"),
            ("sh interactive", "only go with `run`"),
            ("sh run hint=x", "only goes with `check`"),
            ("sh run fail=x", "`fail=` only goes with `check`"),
            ("check fial=x", "(did you mean `fail=`?)"),
            ("check timeout=9999", "from 1 to 600"),
            ("run check", "two actions"),
            ("sh run path=/x", "only goes with `file`"),
        ];
        for (s, want) in cases {
            let (_, e) = parse(s);
            assert!(e.iter().any(|m| m.contains(want)), "{s}: {e:?}");
        }
    }

    #[test]
    fn unquoted_hint_gets_one_message_with_the_fix() {
        let (i, e) = parse("check hint=Run docker ps first timeout=5");
        assert_eq!(e, vec!["`hint=` value has spaces: put it in double quotes, hint=\"Run docker ps first\"".to_string()]);
        assert_eq!(i.hint.as_deref(), Some("Run docker ps first"));
        assert_eq!(i.timeout_secs, Some(5));
        let (i, e) = parse(r#"check hint="Run docker ps" fail="No container yet." timeout=5"#);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(i.fail.as_deref(), Some("No container yet."));
    }
}
