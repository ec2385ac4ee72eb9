-- The segments' shares of net revenue add up to 1 (a negative share is a segment whose refunds
-- exceed its purchases); no rows when the personas have no revenue figure.
select sum(revenue_share) as total_share
from {{ ref('segment_personas') }}
having count(revenue_share) > 0
    and abs(sum(revenue_share) - 1) > 1e-6
