//! `muelle lessons new SLUG --langs es,en`: a paired lesson to start from, one file per language
//! with the same `id`, that passes lint and `lessons test` as written.
//!
//! Also the helpers the importers share: the ids a lessons directory already uses and the next
//! free `NN-` number.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::dir::lesson_files;
use super::frontmatter::is_slug;

/// Languages with a translated scaffold; any other two-letter code gets the English text.
pub const TEMPLATE_LANGS: [&str; 2] = ["es", "en"];

/// The ids used under `dir`, each with the first file that uses it: the front matter's `id:`,
/// and the slug of the file name (`NN-slug.md`), so a half-written file still counts.
pub fn existing_ids(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for f in lesson_files(dir).with_context(|| format!("cannot read lessons directory {}", dir.display()))? {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        if let Some(id) = front_matter_id(&text) {
            out.push((id, f.clone()));
        }
        let stem = f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some((_, slug)) = stem.split_once('-') {
            out.push((slug.to_string(), f));
        }
    }
    Ok(out)
}

/// The `id:` of a file's front matter, read line by line (the file may not parse).
fn front_matter_id(text: &str) -> Option<String> {
    let mut lines = text.lines();
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    lines
        .take_while(|l| l.trim_end() != "---")
        .find_map(|l| l.strip_prefix("id:"))
        .map(|v| v.split('#').next().unwrap_or("").trim().trim_matches(|c| c == '"' || c == '\'').to_string())
}

/// The file of an existing lesson whose id is `id`, if any.
pub fn find_id(dir: &Path, id: &str) -> anyhow::Result<Option<PathBuf>> {
    Ok(existing_ids(dir)?.into_iter().find(|(i, _)| i == id).map(|(_, f)| f))
}

/// One more than the highest `NN-` prefix under `dir` (in any language), so the new lesson
/// comes last in the catalog and its translations share the number.
pub fn next_number(dir: &Path) -> anyhow::Result<u32> {
    let files = lesson_files(dir).with_context(|| format!("cannot read lessons directory {}", dir.display()))?;
    let highest = files
        .iter()
        .filter_map(|f| {
            let name = f.file_name()?.to_str()?;
            let (nn, _) = name.split_once('-')?;
            nn.chars().all(|c| c.is_ascii_digit()).then(|| nn.parse::<u32>().ok())?
        })
        .max()
        .unwrap_or(0);
    Ok(highest + 1)
}

/// `My lesson_2` → `my-lesson-2`: lowercase ASCII letters and digits, runs of anything else
/// become one dash.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Checks a lesson id for `new` and `import`; the error says what a good one looks like.
pub fn check_slug(slug: &str) -> anyhow::Result<()> {
    if is_slug(slug) && slug.len() <= 64 {
        return Ok(());
    }
    let suggestion = slugify(slug);
    let hint = if is_slug(&suggestion) && suggestion != slug {
        format!(" (did you mean `{suggestion}`?)")
    } else {
        String::new()
    };
    bail!(
        "`{slug}` is not a lesson id: use lowercase letters, digits and single dashes, at most 64 characters, e.g. `first-volumes`{hint}"
    )
}

/// Parses `--langs es,en`: two-letter codes, at least one, no repeats.
pub fn parse_langs(s: &str) -> anyhow::Result<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for l in s.split(',').map(str::trim) {
        if l.len() != 2 || !l.bytes().all(|b| b.is_ascii_lowercase()) {
            bail!("--langs takes two-letter codes separated by commas, like `es,en`; `{l}` is not one");
        }
        if !seen.insert(l) {
            bail!("--langs names `{l}` twice");
        }
        out.push(l.to_string());
    }
    Ok(out)
}

/// Writes `<dir>/<lang>/NN-<slug>.md` for each language; returns the files written. Refuses a bad
/// slug, an id already used in `dir`, and an existing file; writes nothing then.
pub fn new_lesson(dir: &Path, slug: &str, langs: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    check_slug(slug)?;
    if langs.is_empty() {
        bail!("give at least one language (--langs es,en)");
    }
    for l in langs {
        parse_langs(l)?;
    }
    if !dir.is_dir() {
        bail!("lessons directory {} does not exist (give the right one with --dir)", dir.display());
    }
    if let Some(f) = find_id(dir, slug)? {
        bail!("a lesson with id `{slug}` already exists: {}; choose another slug", f.display());
    }
    let nn = next_number(dir)?;
    let files: Vec<(PathBuf, String)> = langs
        .iter()
        .map(|l| (dir.join(l).join(format!("{nn:02}-{slug}.md")), template(slug, l)))
        .collect();
    if let Some((f, _)) = files.iter().find(|(f, _)| f.exists()) {
        bail!("{} already exists", f.display());
    }
    let mut written = Vec::new();
    for (path, text) in files {
        let parent = path.parent().expect("a file under dir/lang");
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        f.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// `first-volumes` → `First volumes`.
fn title_of(slug: &str) -> String {
    let words = slug.replace('-', " ");
    let mut c = words.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The lesson text in `lang` (English for a language without a translation).
pub fn template(slug: &str, lang: &str) -> String {
    let t = if lang == "es" { &ES } else { &EN };
    let title = serde_json::to_string(&title_of(slug)).expect("a string serializes");
    let summary = serde_json::to_string(t.summary).expect("a string serializes");
    let mut out = format!(
        "---\nid: {slug}\ntitle: {title}\nsummary: {summary}\nlang: {lang}\nduration: 30m\nnodes: 1\nimages: [busybox]\ntags: [{}]\n---\n",
        t.tag
    );
    out.push_str(&t.body.replace("{slug}", slug));
    out
}

struct Template {
    summary: &'static str,
    tag: &'static str,
    body: &'static str,
}

const EN: Template = Template {
    summary: "Replace this summary: one or two sentences for the catalog.",
    tag: "draft",
    body: r#"Replace this introduction: what the learner will do and why. Text before the first `##`
heading is the introduction; each `##` heading starts a step. The whole format is described in
lessons/README.md; check your work with `muelle lessons lint` and `muelle lessons test`.

This lesson uses **busybox**, a very small image with `sh` and the usual Linux tools.

## Pull an image

`pull` downloads an image from the registry to the node. Press **Run**:

```sh run
docker image pull busybox
```

The step is done when its check exits with status 0:

```check hint="Run docker image pull busybox in the terminal."
docker image inspect busybox >/dev/null 2>&1
```

## Run a container

Name the containers a later step needs:

```sh run
docker container run --name hello busybox echo "Hello from {slug}"
```

```check hint="Run the command above: it creates a container named hello."
docker container inspect hello >/dev/null 2>&1
```

## Write a file

**Write file** writes the block's text to its `path=` in the node:

```text file path=/root/notes.txt
Notes of {slug}
```

```sh run
cat /root/notes.txt
```

```check hint="Press Write file above."
grep -q 'Notes of {slug}' /root/notes.txt
```

## Clean up

A step without a check is a reading step: **Next** completes it.

```sh run
docker container rm hello
```
"#,
};

const ES: Template = Template {
    summary: "Sustituye este resumen: una o dos frases para el catálogo.",
    tag: "borrador",
    body: r#"Sustituye esta introducción: qué hará quien aprende y para qué. El texto anterior al primer
título `##` es la introducción; cada título `##` empieza un paso. El formato completo está en
lessons/README.md; comprueba la lección con `muelle lessons lint` y `muelle lessons test`.

Esta lección usa **busybox**, una imagen muy pequeña con `sh` y las herramientas habituales de Linux.

## Descargar una imagen

`pull` descarga una imagen del registro al nodo. Pulsa **Ejecutar**:

```sh run
docker image pull busybox
```

El paso se completa cuando su comprobación termina con estado 0:

```check hint="Ejecuta docker image pull busybox en el terminal."
docker image inspect busybox >/dev/null 2>&1
```

## Ejecutar un contenedor

Pon nombre a los contenedores que necesite un paso posterior:

```sh run
docker container run --name hello busybox echo "Hola desde {slug}"
```

```check hint="Ejecuta la orden de arriba: crea un contenedor llamado hello."
docker container inspect hello >/dev/null 2>&1
```

## Escribir un archivo

**Escribir archivo** escribe el texto del bloque en su `path=` del nodo:

```text file path=/root/notas.txt
Notas de {slug}
```

```sh run
cat /root/notas.txt
```

```check hint="Pulsa Write file arriba."
grep -q 'Notas de {slug}' /root/notas.txt
```

## Limpiar

Un paso sin comprobación es un paso de lectura: **Siguiente** lo completa.

```sh run
docker container rm hello
```
"#,
};

/// `muelle lessons new SLUG --langs … --dir …`: writes the files and says what to do next.
pub fn run(dir: &Path, slug: &str, langs: &str) -> anyhow::Result<i32> {
    let langs = parse_langs(langs)?;
    for f in new_lesson(dir, slug, &langs)? {
        println!("wrote {}", f.display());
    }
    println!("next: edit them, then `muelle lessons lint {}` and `muelle lessons test {}`", dir.display(), dir.display());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_langs() {
        assert_eq!(slugify("Docker Volumes_101!"), "docker-volumes-101");
        assert!(check_slug("first-volumes").is_ok());
        let e = check_slug("First_Volumes").unwrap_err().to_string();
        assert!(e.contains("did you mean `first-volumes`"), "{e}");
        assert!(check_slug("a--b").is_err());
        assert!(check_slug("").is_err());
        assert_eq!(parse_langs("es,en").unwrap(), vec!["es", "en"]);
        assert!(parse_langs("es,es").is_err());
        assert!(parse_langs("spanish").is_err());
    }

    #[test]
    fn front_matter_id_is_read_without_parsing() {
        assert_eq!(front_matter_id("---\ntitle: x\nid: \"a-b\"  # c\n---\n## s\n").as_deref(), Some("a-b"));
        assert_eq!(front_matter_id("no front matter\nid: x\n"), None);
        assert_eq!(front_matter_id("---\ntitle: x\n---\nid: late\n"), None);
    }

    #[test]
    fn titles() {
        assert_eq!(title_of("first-volumes"), "First volumes");
    }
}
