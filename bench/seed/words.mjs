// The fixed word list the synthetic packages are drawn from (names, descriptions, keywords) and the queries searched for.
export const WORDS =
  `alpha amber anchor apex arrow atlas aurora axis badge basil beacon bento birch blaze bloom bolt bramble breeze bridge bristle
bronze buffer bundle cable cactus cadence canvas canyon carbon cargo cascade cedar cipher citrus cloud cobalt comet compass copper coral cosmos
crane crystal cursor dagger delta denim desert dial digest dingo domain dune dynamo echo eclipse ember emerald engine falcon fathom feather fern
fiber filter flame flint flux forge fossil fractal frost gadget galaxy garnet gazelle geyser glacier glider granite graph gravel grove harbor
hazel helix heron hollow horizon hydra index indigo ion iris ivory jade jasper jet jigsaw juniper kernel kestrel kiln kite lagoon lantern lattice
ledger lemon lever lichen linen lotus lumen lunar lynx magnet mango maple marble matrix meadow mesa meteor mint mosaic moss nebula needle nexus
nickel nimbus noodle nova oasis obsidian ocean olive onyx opal orbit orchid otter oxide paddle panda parcel pebble pepper pixel plasma plume
polar pollen portal prism pulse quartz quill radar raven reef relay ridge ripple rocket router ruby saffron salmon sapphire scaffold scarlet
schema scout sequoia shadow shard signal silk slate socket solar sonar spark spindle spiral sprout stream summit swift tangent tempo thistle
thunder tide timber token topaz torch tundra turbine umber vapor vector velvet vertex violet vortex walnut willow window wisp zenith zephyr`
    .split(/\s+/)
    .filter(Boolean);
