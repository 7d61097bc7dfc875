//! The portal (ポータル): the page staff land on after logging in, with who they are, the
//! business systems they may open and a card per groupware module. It owns no data of its own
//! yet; each module's portlet will read that module's store.

pub mod model;
pub mod routes;
pub mod store;
