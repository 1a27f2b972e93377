//! "Did you mean …?": the closest known word to a typo, for every message that names an unknown
//! action, flag or key.

/// Edit distance with adjacent swaps counted as one edit (optimal string alignment).
pub fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The known word closest to `word`, if it is close enough to be a typo of it: one edit for
/// words of up to four letters, two for longer ones.
pub fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    known
        .iter()
        .map(|k| (distance(&word.to_lowercase(), k), *k))
        .filter(|(d, _)| *d > 0 && *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// ` (did you mean `x`?)` or nothing.
pub fn did_you_mean(word: &str, known: &[&str]) -> String {
    closest(word, known).map_or_else(String::new, |k| format!(" (did you mean `{k}`?)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_word() {
        let known = ["run", "file", "check", "solve", "interrupt", "interactive"];
        assert_eq!(closest("runn", &known), Some("run"));
        assert_eq!(closest("fiel", &known), Some("file"));
        assert_eq!(closest("interactve", &known), Some("interactive"));
        assert_eq!(closest("chekc", &known), Some("check"));
        assert_eq!(closest("docker", &known), None);
        assert_eq!(closest("run", &known), None, "an exact word is not a typo");
        assert_eq!(closest("sumary", &["summary", "title"]), Some("summary"));
        assert_eq!(did_you_mean("nod", &["node", "path"]), " (did you mean `node`?)");
        assert_eq!(did_you_mean("xyz", &["node", "path"]), "");
    }
}
