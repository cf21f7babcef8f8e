{#
    Where each golden client is and ships to, as of the as-of date. The home country is the
    client master's country; without one, the country the client ships to most (ties:
    alphabetical). Region and domestic status come from the country_regions seed (the
    business's home market is flagged is_domestic there). International spend share is the
    share of the client's purchase value shipped outside the domestic market.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

lines as (
    select * from {{ ref('int_client_product_lines') }}
    where not is_cancellation
),

countries as (
    select * from {{ ref('country_regions') }}
),

shipments as (
    select
        lines.client_key,
        lines.country,
        coalesce(countries.is_domestic, false) as is_domestic_shipment,
        sum(lines.net_amount) as shipped_value,
        row_number() over (
            partition by lines.client_key
            order by count(*) desc, lines.country asc
        ) as country_rank
    from lines
    left join countries
        on lines.country = countries.country_name
    group by lines.client_key, lines.country, countries.is_domestic
),

shipping_summary as (
    select
        client_key,
        count(distinct country) as countries_shipped_to,
        sum(shipped_value) as purchase_value,
        sum(case when not is_domestic_shipment then shipped_value else 0 end)
            as international_value
    from shipments
    group by client_key
),

homes as (
    select
        clients.client_key,
        coalesce(clients.country, main_shipment.country) as home_country
    from clients
    left join shipments as main_shipment
        on
            clients.client_key = main_shipment.client_key
            and main_shipment.country_rank = 1
),

final as (
    select
        homes.client_key,
        homes.home_country,
        coalesce(countries.region, 'Unknown') as home_region,
        countries.is_domestic as is_domestic_client,
        cast(coalesce(shipping_summary.countries_shipped_to, 0) as integer)
            as countries_shipped_to,
        cast(
            shipping_summary.international_value
            / nullif(shipping_summary.purchase_value, 0) as decimal(9, 4)
        ) as international_spend_share
    from homes
    left join countries
        on homes.home_country = countries.country_name
    left join shipping_summary
        on homes.client_key = shipping_summary.client_key
)

select * from final
