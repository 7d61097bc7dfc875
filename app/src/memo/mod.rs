//! Phone memos (伝言メモ): a note left for a colleague who was away when someone called — who
//! called, from where, the number to call back, what they asked for and a message — that the
//! colleague reads, sees counted on the portal until read, and marks done. It replaces the
//! paper slips on desks; it is not a chat and has no replies.

pub mod model;
pub mod routes;
pub mod store;
pub mod texts;
