{#-
    The landed raw files (the landing hook's ledger, DuckDB only; empty elsewhere) with a status
    that flags files that brought nothing usable:
      empty_file          0 bytes
      no_data_rows        a header (or nothing parseable) but no data row and no rejected line
      has_rejected_lines  some lines could not be parsed (they are in dq_quarantine)
      ok                  otherwise
    with the encoding the file was read in and the landing's notes on its header (a column read
    under a declared name it was spelled differently from, columns left unread).
-#}
with

ledger as (
    select * from {{ raw_file_ledger() }} as files
),

final as (
    select
        source_table as source,
        file_path,
        file_size,
        rows_loaded,
        rows_rejected,
        case
            when file_size = 0 then 'empty_file'
            when rows_loaded = 0 and rows_rejected = 0 then 'no_data_rows'
            when rows_rejected > 0 then 'has_rejected_lines'
            else 'ok'
        end as file_status,
        encoding,
        header_notes,
        checksum,
        loaded_at
    from ledger
)

select * from final
