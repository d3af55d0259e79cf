-- Three 64-bit random draws per line number (h1..h3) and its UTC time on its day.
-- Each draw is the hash of its own input (line number * 64 + stream), so the streams are
-- independent (hash(i, seed, k) would differ between streams k by a constant XOR only).
-- The time follows a daily cycle: the hour is drawn with the weights of `hour_case`, the
-- second within the hour uniformly. `syn_days` says which day each line number falls on.
create or replace temp table syn_draws as
select
    i,
    hash(i * 64 + 1, ${seed}) as h1,
    hash(i * 64 + 2, ${seed}) as h2,
    hash(i * 64 + 3, ${seed}) as h3,
    d.day + to_seconds((${hour_case}) * 3600 + floor(${u_second} * 3600)::bigint) as ts1
from range(${lo}, ${hi}) t(i)
join syn_days as d on t.i between d.lo and d.hi
