-- The URL, method and status of each line: package downloads (some with '//', some under
-- the wrong category or with unknown names), other paths, HEAD and POST requests.
create or replace temp table syn_url as
with r as (
    select *,
        ${r_version_case} as r_version,
        (hash(package) % 3 + 1)::varchar || '.' || (hash(package, 1) % 40)::varchar || '.'
            || (hash(package, 2) % 9)::varchar as package_version,
        case when kind = 'wrong_category'
             then ${cats}[1 + ((list_position(${cat_names}, category) + (hash(i * 64 + 5, ${seed}) % 3)::int)
                              % 4)]
             else ${cats}[list_position(${cat_names}, category)] end as cat_path,
        case when kind = 'unknown'
             then ${unknown}[1 + (hash(i * 64 + 6, ${seed}) % ${unknown_count})::int]
             else package end as req_package,
        cast(ts1 as date) as day
    from syn_req
),
typed as (
    select *,
        case when category in ('annotation', 'experiment') and kind <> 'wrong_category'
                  then 'source'
             when u_type < 0.5 then 'source' when u_type < 0.76 then 'win' else 'mac' end
            as dtype
    from r
)
select *,
    case
        when kind = 'non_package' then replace(replace(replace(replace(replace(
            ${paths}[1 + (hash(i * 64 + 7, ${seed}) % ${path_count})::int],
            '{v}', bioc_version), '{c}', cat_path), '{r}', r_version),
            '{p}', package), '{pv}', package_version)
        else '/packages/' || bioc_version
            || case when u_misc < 0.004 then '//' else '/' end || cat_path || '/'
            || case dtype
                 when 'source' then 'src/contrib/'
                 when 'win' then 'bin/windows/contrib/' || r_version || '/'
                 else 'bin/macosx/' || case when u_misc2 < 0.6 then 'big-sur-arm64/'
                     when u_misc2 < 0.9 then 'big-sur-x86_64/' else '' end
                     || 'contrib/' || r_version || '/'
               end
            || req_package || '_' || package_version || '.'
            || case dtype when 'source' then 'tar.gz' when 'win' then 'zip' else 'tgz' end
    end as uri,
    case when kind = 'head' then 'HEAD' when kind = 'post' then 'POST' else 'GET' end as method,
    case
        when kind = 'bad_status' then [304, 404, 206, 403, 500, 503][1 + (hash(i * 64 + 8, ${seed}) % 6)::int]
        when kind = 'post' then 403
        when kind = 'download' and u_status < 0.012 then 302
        when kind = 'download' and u_status < 0.014 then 301
        when kind = 'download' and u_status < 0.015 then 307
        when kind = 'non_package' and u_status < 0.25 then 304
        when kind = 'non_package' and u_status < 0.30 then 404
        else 200
    end as status
from typed
