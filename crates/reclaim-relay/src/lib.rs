//! reclaim-relay
