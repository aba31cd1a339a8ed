//! Days built from public data sets: [`movielens`] (MovieLens-100k, the sample the recbole 1.2.1
//! wheel ships), [`directors`] (the same sample with its knowledge graph: directors as creators,
//! production companies as campaigns) and [`obd`] (the Open Bandit Dataset's sample, logs and a day, from the obp 0.4.1
//! wheel); `scripts/fetch-data.sh` fetches both.

pub mod directors;
pub mod movielens;
pub mod obd;
