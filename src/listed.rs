//! `listed_enum!`: an enum of unit variants declared together with `ALL` (every variant, in
//! declaration order) and `COUNT`, so every list that iterates `ALL` (the window's checkboxes
//! and counts, the CLI's accepted names, the problem kinds) gains a new variant from the one
//! place it is declared.

/// Declares the enum as written plus `ALL: [Self; COUNT]` and `COUNT`.
macro_rules! listed_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];
            /// The number of variants.
            pub const COUNT: usize = Self::ALL.len();
        }
    };
}
