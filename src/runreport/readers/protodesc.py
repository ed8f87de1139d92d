"""Protobuf schemas declared in code, by the producers' own field numbers, through protobuf's
descriptor API: wire compatible with the producer's messages (protobuf skips every field not
declared), so no producer package is needed to read its files."""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto
#: A field: name, number, type, message type name (or None), repeated, oneof index (or None).
Field = tuple[str, int, int, str | None, bool, int | None]


def add_message(
    pkg: descriptor_pb2.FileDescriptorProto, name: str, fields: list[Field]
) -> descriptor_pb2.DescriptorProto:
    """Declare message ``name`` with ``fields`` in ``pkg``."""
    msg = pkg.message_type.add(name=name)
    for fname, number, ftype, type_name, repeated, oneof in fields:
        f = msg.field.add(
            name=fname,
            number=number,
            type=ftype,
            label=F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL,
        )
        if type_name:
            f.type_name = type_name
        if oneof is not None:
            f.oneof_index = oneof
    return msg


def message_classes(pkg: descriptor_pb2.FileDescriptorProto, *names: str) -> dict[str, Any]:
    """The message classes of ``names`` in ``pkg``, built in a pool of their own."""
    pool = descriptor_pool.DescriptorPool()
    pool.Add(pkg)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{pkg.package}.{name}"))
        for name in names
    }
