//! The simulated inventory (being written).
