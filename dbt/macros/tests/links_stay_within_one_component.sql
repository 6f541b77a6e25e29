{#
    Label propagation has converged: both ends of every link (the tested model, with record_type/record_key
    and linked_type/linked_key) resolved to the same component in `components` (node_type, node_key,
    anchor_rank). A failing row names a link whose ends still disagree: raise the var
    identity_label_propagation_iterations.
#}
{% test links_stay_within_one_component(model, components) %}

select
    links.record_type,
    links.record_key,
    links.linked_type,
    links.linked_key,
    links.rule,
    record_side.anchor_rank as record_anchor_rank,
    linked_side.anchor_rank as linked_anchor_rank
from {{ model }} as links
inner join {{ components }} as record_side
    on links.record_type = record_side.node_type
    and links.record_key = record_side.node_key
inner join {{ components }} as linked_side
    on links.linked_type = linked_side.node_type
    and links.linked_key = linked_side.node_key
where record_side.anchor_rank <> linked_side.anchor_rank

{% endtest %}
