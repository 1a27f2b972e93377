//! enter
