{#
    One row per product or service code: the product master (stg_crm__products) plus inferred
    members for codes that appear on invoice lines but not in the master (unknown codes, or
    master rows rejected in staging), so every transaction line has a product.
#}
with

products as (
    select * from {{ ref('stg_crm__products') }}
),

lines as (
    select * from {{ ref('stg_crm__transactions') }}
),

descriptions_seen as (
    select
        stock_code,
        description,
        row_number() over (
            partition by stock_code order by count(*) desc, description asc
        ) as popularity
    from lines
    where description is not null
    group by stock_code, description
),

sales_span as (
    select
        stock_code,
        min(invoice_date) as first_sold_on,
        max(invoice_date) as last_sold_on,
        max(non_product_kind) as non_product_kind
    from lines
    group by stock_code
),

master as (
    select
        products.stock_code,
        products.description,
        products.category,
        products.unit_price as list_price,
        products.launch_date,
        products.status,
        products.non_product_kind,
        false as is_inferred
    from products
),

inferred as (
    select
        sales_span.stock_code,
        descriptions_seen.description,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(null as decimal(18, 4)) as list_price,
        cast(null as date) as launch_date,
        cast(null as {{ dbt.type_string() }}) as status,
        sales_span.non_product_kind,
        true as is_inferred
    from sales_span
    left join descriptions_seen
        on sales_span.stock_code = descriptions_seen.stock_code and descriptions_seen.popularity = 1
    where sales_span.stock_code not in (select master.stock_code from master)
),

all_products as (
    select * from master
    union all
    select * from inferred
),

final as (
    select
        all_products.stock_code as product_key,
        all_products.description,
        all_products.category,
        all_products.list_price,
        all_products.launch_date,
        all_products.status,
        all_products.non_product_kind is not null as is_non_product,
        all_products.non_product_kind,
        all_products.is_inferred,
        sales_span.first_sold_on,
        sales_span.last_sold_on
    from all_products
    left join sales_span
        on all_products.stock_code = sales_span.stock_code
)

select * from final
