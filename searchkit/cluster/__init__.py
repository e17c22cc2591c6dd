"""A sharded index built and searched on a Ray cluster (the optional extra `cluster`).

    shardmap.py     the index folder's shard map: shards, routing, global statistics
    statistics.py   BM25F scoring with statistics summed over every shard
    build.py        a sharded full build: Ray tasks decide once, then write each shard
    shard.py        one shard's searcher: the stages of a search, split for a coordinator
    coordinator.py  ClusterIndex: scatter a request to the shard actors, gather, merge

Only build.py and coordinator.py import Ray, and nothing imports them until a cluster is
named: `import searchkit` and every command without `--cluster` never load Ray.
"""
