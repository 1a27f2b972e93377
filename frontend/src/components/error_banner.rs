//! An error, explained in the user's language.

use yew::prelude::*;

use crate::error::Error;
use crate::hooks::use_lang;

/// Props of [`ErrorBanner`].
#[derive(Properties, PartialEq)]
pub struct ErrorBannerProps {
    /// Nothing is rendered for `None`.
    pub error: Option<Error>,
}

/// A red notice with the error's user message; the technical detail is in the tooltip.
#[component]
pub fn ErrorBanner(props: &ErrorBannerProps) -> Html {
    let s = use_lang().strings();
    match &props.error {
        None => html! {},
        Some(err) => html! {
            <p class="error-banner" role="alert" title={err.to_string()}>
                { err.user_message(s) }
            </p>
        },
    }
}
