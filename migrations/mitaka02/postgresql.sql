-- mitaka02: rename the metadata resource type OS::Nova::Instance to OS::Nova::Server.

UPDATE metadef_resource_types SET name='OS::Nova::Server' WHERE metadef_resource_types.name = 'OS::Nova::Instance';
