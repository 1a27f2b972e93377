// muelle's file editor: CodeMirror 6, bundled by esbuild (`npm run build:editor`, run by Trunk's
// pre_build hook) into one IIFE that defines `window.MuelleEditor`. The Yew front end loads it
// lazily, the first time a file is opened (src/services/code_editor.rs), so the start page does
// not pay for it. Colours come from styles/main.css (`.cm-*` and the `tok-*` classes), so the
// editor follows the page's light/dark terminal theme.
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter } from "@codemirror/view";
import {
  history, historyKeymap, indentMore, indentLess, insertNewlineKeepIndent, selectAll,
  cursorCharLeft, selectCharLeft, cursorCharRight, selectCharRight, cursorLineUp, selectLineUp,
  cursorLineDown, selectLineDown, cursorGroupLeft, selectGroupLeft, cursorGroupRight, selectGroupRight,
  cursorLineBoundaryBackward, selectLineBoundaryBackward, cursorLineBoundaryForward, selectLineBoundaryForward,
  cursorPageUp, selectPageUp, cursorPageDown, selectPageDown, cursorDocStart, selectDocStart,
  cursorDocEnd, selectDocEnd, deleteCharBackward, deleteCharForward, deleteGroupBackward, deleteGroupForward,
} from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { classHighlighter } from "@lezer/highlight";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import { dockerFile } from "@codemirror/legacy-modes/mode/dockerfile";
import { yaml } from "@codemirror/legacy-modes/mode/yaml";

// Kept small: the whole front end must stay under 600 KiB gzipped (tests/browser/run.mjs), and
// this bundle is about 92 KiB of it. Left out for that: the search panel (~14 KB), more modes
// (~0.5-5 KB each), bracket matching, drawn selections (the browser's own selection is used).
const MODES = { shell, dockerfile: dockerFile, yaml };

// The keys: @codemirror/commands' standardKeymap without its syntax-aware moves and
// newline-and-indent (Enter keeps the line's indentation instead), which cost ~3 KB gzipped.
const KEYS = [
  { key: "ArrowLeft", run: cursorCharLeft, shift: selectCharLeft, preventDefault: true },
  { key: "Mod-ArrowLeft", mac: "Alt-ArrowLeft", run: cursorGroupLeft, shift: selectGroupLeft, preventDefault: true },
  { key: "ArrowRight", run: cursorCharRight, shift: selectCharRight, preventDefault: true },
  { key: "Mod-ArrowRight", mac: "Alt-ArrowRight", run: cursorGroupRight, shift: selectGroupRight, preventDefault: true },
  { key: "ArrowUp", run: cursorLineUp, shift: selectLineUp, preventDefault: true },
  { key: "ArrowDown", run: cursorLineDown, shift: selectLineDown, preventDefault: true },
  { key: "Home", run: cursorLineBoundaryBackward, shift: selectLineBoundaryBackward, preventDefault: true },
  { key: "End", run: cursorLineBoundaryForward, shift: selectLineBoundaryForward, preventDefault: true },
  { mac: "Cmd-ArrowLeft", run: cursorLineBoundaryBackward, shift: selectLineBoundaryBackward, preventDefault: true },
  { mac: "Cmd-ArrowRight", run: cursorLineBoundaryForward, shift: selectLineBoundaryForward, preventDefault: true },
  { key: "PageUp", run: cursorPageUp, shift: selectPageUp },
  { key: "PageDown", run: cursorPageDown, shift: selectPageDown },
  { key: "Mod-Home", mac: "Cmd-ArrowUp", run: cursorDocStart, shift: selectDocStart },
  { key: "Mod-End", mac: "Cmd-ArrowDown", run: cursorDocEnd, shift: selectDocEnd },
  { key: "Enter", run: insertNewlineKeepIndent },
  { key: "Mod-a", run: selectAll },
  { key: "Backspace", run: deleteCharBackward, shift: deleteCharBackward },
  { key: "Delete", run: deleteCharForward },
  { key: "Mod-Backspace", mac: "Alt-Backspace", run: deleteGroupBackward },
  { key: "Mod-Delete", mac: "Alt-Delete", run: deleteGroupForward },
  { key: "Tab", run: indentMore },
  { key: "Shift-Tab", run: indentLess },
];

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
          ...KEYS, ...historyKeymap,
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
