//! The es/en switch.

use yew::prelude::*;

use crate::hooks::use_lang;

/// Two buttons, the current language pressed.
#[component]
pub fn LangSwitch() -> Html {
    let handle = use_lang();
    let buttons = crate::i18n::Lang::ALL.into_iter().map(|lang| {
        let set = handle.set.clone();
        let onclick = Callback::from(move |_: MouseEvent| set.emit(lang));
        let pressed = lang == handle.lang;
        html! {
            <button type="button" class={classes!("lang", pressed.then_some("active"))}
                    aria-pressed={pressed.to_string()} data-lang={lang.code()} {onclick}>
                { lang.code().to_uppercase() }
            </button>
        }
    });
    html! {
        <div class="lang-switch" role="group" aria-label={handle.strings().language}>
            { for buttons }
        </div>
    }
}
