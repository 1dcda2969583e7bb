//! Checks of core rules against outside reference implementations.

mod dovecot;
