-- Three 64-bit random draws per line number (h1..h3) and its UTC time on its day.
-- `syn_days` says which day each line number falls on.
create or replace temp table syn_draws as
select
    i,
    hash(i, ${seed}, 1) as h1, hash(i, ${seed}, 2) as h2, hash(i, ${seed}, 3) as h3,
    d.day + to_seconds(floor(${u_time} * 86400)::bigint) as ts1
from range(${lo}, ${hi}) t(i)
join syn_days as d on t.i between d.lo and d.hi
