//! Password-protected mail.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod crypt;
mod error;
mod kdf;
mod password;

pub use crypt::{PasswordEncryptor, decrypt, decrypt_with_keys};
pub use error::PasswordError;
pub use kdf::{Argon2Params, KdfCost, Profile};
pub use password::{Password, Strength};
