//! muelle's browser app: start a session and use its terminals. Built by Trunk for wasm32.

mod app;
mod components;
mod error;
mod hooks;
mod i18n;
mod pages;
mod routes;
mod services;

fn main() {
    wasm_logger::init(wasm_logger::Config::new(log::Level::Info));
    yew::Renderer::<app::App>::new().render();
}
