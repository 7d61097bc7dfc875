//! Personnel changes in bulk: the HR department's CSV (Shift_JIS or UTF-8) read, checked line
//! by line, compared with the organisation as stored, shown as a list of differences, and
//! applied in one transaction; the April 1 transfer of hundreds of staff is one such file. It
//! does not create departments (they come from the tree's own loading) and never retires
//! anyone the file does not name as retired, so a partial file cannot empty the city hall.

pub mod directory;
pub mod model;
pub mod store;
pub mod sync;
