//! reclaim-entra
