//! Days built from public data sets: [`movielens`] (MovieLens-100k, the sample the recbole 1.2.1
//! wheel ships; `scripts/fetch-data.sh` fetches it).

pub mod movielens;
