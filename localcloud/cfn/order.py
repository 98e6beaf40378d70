"""CloudFormation's creation order: a resource waits for every resource it refers to.

References are ``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` (``${X}`` and ``${X.Attribute}``) and
``DependsOn``, as CloudFormation reads them
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html).
The graph is cfn-lint's (``cfnlint.graph``), which builds exactly these edges; CloudFormation
creates independent resources in parallel, so only a path in this graph orders two resources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    import networkx


class DependencyCycle(ValueError):
    pass


def dependency_graph(template: dict[str, Any]) -> networkx.MultiDiGraph:
    """Resources only; an edge A -> B means A refers to B, so B is created first."""
    from cfnlint.template import Template

    resources = set(template.get("Resources", {}))
    graph = Template(None, template).graph.graph
    return graph.subgraph(resources).copy()


def creation_order(template: dict[str, Any], active: Iterable[str]) -> list[str]:
    """``active`` resources (those whose Condition holds) in an order CloudFormation could use."""
    import networkx

    wanted = sorted(set(active))
    graph = dependency_graph(template).subgraph(wanted)
    try:
        # Reversed: the referred-to resource first. Ties broken by name, so runs repeat.
        return list(networkx.lexicographical_topological_sort(graph.reverse()))
    except networkx.NetworkXUnfeasible:
        cycle = networkx.find_cycle(graph)
        raise DependencyCycle(
            "circular dependency between resources: " + " -> ".join(edge[0] for edge in cycle)
        ) from None


def created_before(template: dict[str, Any], first: str, then: str) -> bool:
    """Whether CloudFormation must have created ``first`` before it starts ``then``."""
    import networkx

    graph = dependency_graph(template)
    return bool(networkx.has_path(graph, then, first))
