//! The generated code must match the spec, so `cargo test` catches a spec edited without
//! `cargo xtask codegen`.

#[test]
fn generated_code_is_fresh() {
    if let Err(message) = xtask::codegen::check() {
        panic!("{message}");
    }
}
