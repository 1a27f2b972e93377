// muelle's file editor: CodeMirror 6, bundled by esbuild (`npm run build:editor`, run by Trunk's
// pre_build hook) into one IIFE that defines `window.MuelleEditor`. The Yew front end loads it
// lazily, the first time a file is opened (src/services/code_editor.rs), so the start page does
// not pay for it. Colours come from styles/main.css (`.cm-*` and the `tok-*` classes), so the
// editor follows the page's light/dark terminal theme.
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter } from "@codemirror/view";
import { history, standardKeymap, historyKeymap, indentWithTab } from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { classHighlighter } from "@lezer/highlight";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import { dockerFile } from "@codemirror/legacy-modes/mode/dockerfile";
import { yaml } from "@codemirror/legacy-modes/mode/yaml";

// Kept small: the whole front end must stay under 600 KB gzipped (tests/browser/run.mjs), this
// bundle is about 94 KB of it. Left out for that: the search panel (~14 KB), more modes (~2-5 KB
// each), defaultKeymap's extras over standardKeymap (line moves, comment toggling: ~3 KB),
// bracket matching and drawn selections (the browser's own selection is used).
const MODES = { shell, dockerfile: dockerFile, yaml };

/**
 * Makes an editor in `parent` holding `text`. `lang` is one of shell, dockerfile, yaml, or
 * anything else for plain text. `onSave()` runs on Ctrl+S / Cmd+S, `onChange()` after each
 * change of the text. Returns a handle: getValue(), setValue(text), focus(), destroy().
 */
function create(parent, text, lang, onSave, onChange) {
  const mode = MODES[lang];
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        history(),
        highlightActiveLine(),
        syntaxHighlighting(classHighlighter),
        mode ? StreamLanguage.define(mode) : [],
        EditorState.tabSize.of(4),
        keymap.of([
          { key: "Mod-s", preventDefault: true, run: () => { onSave(); return true; } },
          ...standardKeymap, ...historyKeymap, indentWithTab,
        ]),
        EditorView.updateListener.of((u) => { if (u.docChanged) onChange(); }),
        EditorView.contentAttributes.of({ spellcheck: "false", autocapitalize: "off", autocorrect: "off" }),
      ],
    }),
  });
  return {
    getValue: () => view.state.doc.toString(),
    setValue: (t) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: t } }),
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}

window.MuelleEditor = { create };
