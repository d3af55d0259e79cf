-- What each line requests: its kind, its package (a slot of the popularity wheel
-- `syn_slots`), its client and Bioconductor version, and uniform draws for what follows.
create or replace temp table syn_req as
with d as (
    select *,
        ${kind_case} as kind,
        (h2 % ${slots})::integer as slot,
        -- clients: a skewed pool, heavy users first
        floor(power(${u_h1_1}, 2.5) * greatest(${lines} // 6, 50))::bigint as client
    from syn_draws
)
select d.*,
    p.package, p.category,
    ${bioc_version_case} as bioc_version,
    ${u_h2_1} as u_type, ${u_h2_2} as u_status, ${u_h3_0} as u_misc,
    ${u_h3_1} as u_misc2
from d join syn_slots p using (slot)
