{#- RFM quintile scores and named RFM segment of every buyer as of the as-of date (macro rfm_scoring). -#}
{{ rfm_scoring(ref('int_customer_activity')) }}
