-- Each line's file, client address, edge, user agent and the 33 CloudFront fields joined
-- by tabs (the first 24 for files of the older header; malformed lines cut or broken).
create or replace temp table syn_lines as
with f as (
    select *,
        day < ${old} as old_header,
        (datediff('day', date '${start}', day) * ${files_per_day}
            + hour(ts1) * ${files_per_day} // 24)::integer as file_no,
        case when (client % 7) = 3
             then printf('2a02:%x:%x:%x::%x', hash(client * 64 + 9, ${seed}) % 65536,
                         hash(client * 64 + 10, ${seed}) % 65536, hash(client * 64 + 11, ${seed}) % 65536,
                         hash(client * 64 + 12, ${seed}) % 65536)
             else printf('%d.%d.%d.%d', 1 + hash(client * 64 + 9, ${seed}) % 223,
                         hash(client * 64 + 10, ${seed}) % 256, hash(client * 64 + 11, ${seed}) % 256,
                         1 + hash(client * 64 + 12, ${seed}) % 254)
        end as ip,
        ${edges}[1 + (hash(client * 64 + 13, ${seed}) % ${edge_count})::int] as edge,
        ${agents}[1 + (hash(client * 64 + 14, ${seed}) % ${agent_count})::int] as agent,
        case when uri like '%.tar.gz' or uri like '%.tgz' then 'application/x-tar'
             when uri like '%.zip' then 'application/zip'
             when uri like '%.html' or uri like '%/' then 'text/html'
             else 'application/octet-stream' end as ctype,
        case when status in (200, 206) then 20000 + hash(i * 64 + 15, ${seed}) % 5000000
             else 300 + hash(i * 64 + 15, ${seed}) % 600 end as nbytes,
        case when ${u_h3_2} < 0.55 then 'Hit' when ${u_h3_2} < 0.97 then 'Miss'
             else 'RefreshHit' end as result,
        case when kind = 'download' and u_misc > 0.995 then 'raw=true'
             when kind = 'non_package' and u_misc > 0.97 then 'utm_source=biocviews'
             else '-' end as query
    from syn_url
),
cols as (
    select *,
        [strftime(ts1, '%Y-%m-%d'), strftime(ts1, '%H:%M:%S'), edge, nbytes::varchar, ip,
         method, 'd2nsi8cfpgrgm1.cloudfront.net', uri, status::varchar, '-', agent, query, '-',
         result,
         substr(md5(i::varchar || '${seed}'), 1, 54) || '==',
         'bioconductor.org', 'https', (150 + hash(i * 64 + 16, ${seed}) % 300)::varchar,
         printf('%.3f', (hash(i * 64 + 17, ${seed}) % 900)::double / 1000 + 0.001), '-',
         'TLSv1.3', 'TLS_AES_128_GCM_SHA256', result,
         case when u_misc2 < 0.7 then 'HTTP/2.0' else 'HTTP/1.1' end, '-', '-',
         (1024 + hash(i * 64 + 18, ${seed}) % 64000)::varchar,
         printf('%.3f', (hash(i * 64 + 17, ${seed}) % 500)::double / 1000 + 0.001), result, ctype,
         (nbytes - 300)::varchar,
         case when status = 206 then '0' else '-' end,
         case when status = 206 then (nbytes - 301)::varchar else '-' end
        ] as v
    from f
)
select
    file_no, ts1 as ts, i, kind, category, old_header, method, status,
    kind = 'download' and method = 'GET' and status in ${counted_statuses} as counted,
    case
        when kind <> 'malformed' then array_to_string(v[1:case when old_header then 24 else 33 end],
                                                      chr(9))
        when u_misc < 0.5 then array_to_string(v[1:7], chr(9))  -- a line cut short
        else array_to_string(list_concat(v[1:8], ['OK'],
                             v[10:case when old_header then 24 else 33 end]), chr(9))
    end as line
from cols
order by file_no, ts, i
