//! Benign interest communities: names, hashtags and the words their members use.

/// One benign niche.
pub(crate) struct Niche {
    pub(crate) name: &'static str,
    pub(crate) hashtags: &'static [&'static str],
    pub(crate) words: &'static [&'static str],
}

macro_rules! niches {
    ($( $name:literal: [$($tag:literal),*] [$($word:literal),*] ;)*) => {
        pub(crate) const NICHES: &[Niche] = &[
            $( Niche { name: $name, hashtags: &[$($tag),*], words: &[$($word),*] }, )*
        ];
    };
}

niches! {
    "embroidery": ["embroidery", "stitchery", "hoopart"] ["hoop", "floss", "satin stitch", "pattern", "linen", "french knot"];
    "spelunking": ["spelunking", "caving", "cavelife"] ["stalactite", "headlamp", "rope work", "passage", "squeeze", "survey"];
    "birding": ["birding", "birdwatching", "warblers"] ["binoculars", "migration", "lifer", "heron", "dawn chorus", "hide"];
    "sourdough": ["sourdough", "breadbaking", "crumbshot"] ["starter", "levain", "scoring", "proof", "dutch oven", "hydration"];
    "bouldering": ["bouldering", "climbing", "sendit"] ["crimp", "beta", "problem", "chalk", "heel hook", "project"];
    "aquascaping": ["aquascaping", "plantedtank", "nanotank"] ["substrate", "carpet", "co2", "shrimp", "hardscape", "algae"];
    "woodturning": ["woodturning", "lathe", "turnedbowl"] ["gouge", "blank", "burl", "finish", "chuck", "spindle"];
    "astronomy": ["astronomy", "astrophotography", "nightsky"] ["nebula", "tracking mount", "seeing", "galaxy", "stacking", "dark site"];
    "beekeeping": ["beekeeping", "honeybees", "apiary"] ["hive", "frames", "queen", "smoker", "nectar flow", "swarm"];
    "chess": ["chess", "chessopening", "endgame"] ["gambit", "rook", "blitz", "tactic", "zugzwang", "opening prep"];
    "knitting": ["knitting", "knitstagram", "yarnlove"] ["cable", "skein", "gauge", "purl", "cast on", "sweater"];
    "cycling": ["cycling", "gravelbike", "bikepacking"] ["cadence", "climb", "saddle", "gravel", "tubeless", "century"];
    "pottery": ["pottery", "ceramics", "wheelthrown"] ["glaze", "kiln", "trimming", "stoneware", "centering", "slip"];
    "gardening": ["gardening", "growyourown", "allotment"] ["seedlings", "compost", "tomatoes", "mulch", "raised bed", "harvest"];
    "mycology": ["mycology", "mushrooms", "foraging"] ["spore print", "gills", "chanterelle", "mycelium", "substrate", "fruiting"];
    "retrogaming": ["retrogaming", "pixelart", "speedrun"] ["cartridge", "emulator", "high score", "crt", "glitch", "save state"];
    "calligraphy": ["calligraphy", "handlettering", "penmanship"] ["nib", "ink", "flourish", "copperplate", "stroke", "guidelines"];
    "trailrunning": ["trailrunning", "ultrarunning", "runtheworld"] ["elevation", "switchbacks", "aid station", "vest", "tempo", "long run"];
    "homebrewing": ["homebrewing", "craftbeer", "brewday"] ["mash", "hops", "yeast", "fermenter", "gravity", "dry hop"];
    "origami": ["origami", "paperfolding", "tessellation"] ["crease pattern", "valley fold", "crane", "washi", "model", "squash fold"];
    "sailing": ["sailing", "sailboat", "liveaboard"] ["tack", "jib", "mooring", "knots", "tide", "reef"];
    "philately": ["philately", "stampcollecting", "postalhistory"] ["perforation", "watermark", "cover", "hinge", "album", "postmark"];
    "synthesizers": ["synthesizer", "modularsynth", "eurorack"] ["oscillator", "patch", "filter", "sequencer", "envelope", "drone"];
    "fermentation": ["fermentation", "kimchi", "kombucha"] ["brine", "scoby", "crock", "lacto", "airlock", "culture"];
    "tabletop": ["tabletopgames", "boardgames", "miniatures"] ["dice", "campaign", "painting", "meeple", "expansion", "game night"];
    "running": ["running", "parkrun", "marathontraining"] ["pace", "intervals", "splits", "race day", "taper", "negative split"];
}

/// Words anyone uses, for captions and comments.
pub(crate) const COMMON_WORDS: &[&str] = &[
    "today",
    "finally",
    "new",
    "weekend",
    "progress",
    "first try",
    "love this",
    "so happy",
    "work in progress",
    "before and after",
    "what do you think",
    "learned a lot",
];

/// Adjectives and nouns for handles.
pub(crate) const HANDLE_A: &[&str] = &[
    "quiet", "bright", "lucky", "north", "amber", "velvet", "little", "wild", "sunny", "misty",
    "brave", "cosmic", "gentle", "rusty", "silver", "happy", "salty", "urban", "lazy", "clever",
];
pub(crate) const HANDLE_B: &[&str] = &[
    "otter", "fern", "maple", "river", "finch", "pebble", "comet", "lantern", "harbor", "meadow",
    "badger", "willow", "ember", "thistle", "falcon", "cedar", "kettle", "orchid", "quill", "tide",
];
