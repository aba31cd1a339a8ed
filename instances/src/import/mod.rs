//! Days built from public data sets: [`movielens`] (MovieLens-100k, the sample the recbole 1.2.1
//! wheel ships) and [`obd`] (the Open Bandit Dataset's sample, logs and a day, from the obp 0.4.1
//! wheel); `scripts/fetch-data.sh` fetches both.

pub mod movielens;
pub mod obd;
