-- A view model: dbt run creates it in conversql (CREATE VIEW … __dbt_tmp,
-- then renames it in), a second run replaces it the same way.
{{ config(materialized='view') }}

select status, count(*) as conversations
from {{ source('conversql', 'conversations') }}
group by status
