//! The six brand catalogs (outdoor, kitchen, knitwear, stationery, surf and
//! textiles, one per zone): their products, agents, shoppers' names and carriers.

use crate::names::{
    INDIAN_FIRST, INDIAN_LAST, JAPANESE_FIRST, JAPANESE_LAST, WESTERN_FIRST, WESTERN_LAST,
};

/// One kind of product a brand sells (each comes in several styles).
pub(crate) struct Item {
    /// Used in product names ("Summit Waterproof Hiking Boots").
    pub(crate) title: &'static str,
    /// "a rain jacket"
    pub(crate) one: &'static str,
    /// "rain jackets"
    pub(crate) many: &'static str,
    /// "this rain jacket" / "these boots"
    pub(crate) this: &'static str,
    pub(crate) sizes: &'static [&'static str],
    /// "size " for "size 9", "" for "26cm".
    pub(crate) size_prefix: &'static str,
    /// Typical price in minor units (cents).
    pub(crate) price: i64,
}

/// A brand: its zone, currency, agents' names, products, the names of its
/// shoppers, phone numbers, the country it also ships to and its carriers.
pub(crate) struct Brand {
    pub(crate) name: &'static str,
    pub(crate) zone: &'static str,
    pub(crate) currency: &'static str,
    pub(crate) link: &'static str,
    pub(crate) agents: &'static [&'static str],
    pub(crate) items: &'static [Item],
    pub(crate) adjectives: &'static [&'static str],
    pub(crate) first_names: &'static [&'static str],
    pub(crate) last_names: &'static [&'static str],
    pub(crate) phone_prefix: &'static str,
    pub(crate) phone_digits: u32,
    pub(crate) country: &'static str,
    pub(crate) carriers: &'static [&'static str],
}

const ONE_SIZE: &[&str] = &["one size"];

/// The six brands; account `i` is brand `i % 6`.
#[rustfmt::skip]
pub(crate) const BRANDS: [Brand; 6] = [
    Brand {
        name: "Northwind Outfitters",
        zone: "America/New_York",
        currency: "USD",
        link: "northwind.example",
        agents: &["Maya", "Jordan", "Priya", "Sam"],
        items: &[
            Item { title: "Waterproof Hiking Boots", one: "a pair of hiking boots", many: "hiking boots", this: "these boots", sizes: &["7", "8", "8.5", "9", "10", "11", "12"], size_prefix: "size ", price: 14900 },
            Item { title: "Rain Jacket", one: "a rain jacket", many: "rain jackets", this: "this rain jacket", sizes: &["XS", "S", "M", "L", "XL"], size_prefix: "size ", price: 12900 },
            Item { title: "Fleece Pullover", one: "a fleece", many: "fleeces", this: "this fleece", sizes: &["S", "M", "L", "XL"], size_prefix: "size ", price: 6900 },
            Item { title: "Merino Hiking Socks", one: "some hiking socks", many: "hiking socks", this: "these socks", sizes: &["S", "M", "L"], size_prefix: "size ", price: 2200 },
            Item { title: "Trail Daypack", one: "a daypack", many: "daypacks", this: "this daypack", sizes: &["20L", "28L", "35L"], size_prefix: "the ", price: 8900 },
        ],
        adjectives: &["Summit", "Ridgeline", "Trailhead", "Cascade", "Timberline", "Backcountry"],
        first_names: WESTERN_FIRST,
        last_names: WESTERN_LAST,
        phone_prefix: "+1212555",
        phone_digits: 4,
        country: "Canada",
        carriers: &["UPS", "FedEx", "USPS"],
    },
    Brand {
        name: "Koala Kitchenware",
        zone: "Australia/Sydney",
        currency: "AUD",
        link: "koalakitchen.example",
        agents: &["Chloe", "Liam", "Mia", "Jack"],
        items: &[
            Item { title: "Cast Iron Skillet", one: "a cast iron skillet", many: "skillets", this: "this skillet", sizes: &["20cm", "26cm", "30cm"], size_prefix: "the ", price: 8900 },
            Item { title: "Chef's Knife", one: "a chef's knife", many: "chef's knives", this: "this knife", sizes: &["16cm", "20cm", "24cm"], size_prefix: "the ", price: 12900 },
            Item { title: "Enamelled Dutch Oven", one: "a dutch oven", many: "dutch ovens", this: "this dutch oven", sizes: &["3.5L", "5L", "6.5L"], size_prefix: "the ", price: 19900 },
            Item { title: "Bamboo Chopping Board", one: "a chopping board", many: "chopping boards", this: "this board", sizes: &["medium", "large", "XL"], size_prefix: "", price: 4500 },
            Item { title: "Linen Apron", one: "an apron", many: "aprons", this: "this apron", sizes: ONE_SIZE, size_prefix: "", price: 3900 },
        ],
        adjectives: &["Bondi", "Daintree", "Outback", "Harbour", "Eucalypt", "Coral"],
        first_names: WESTERN_FIRST,
        last_names: WESTERN_LAST,
        phone_prefix: "+61491",
        phone_digits: 6,
        country: "New Zealand",
        carriers: &["Australia Post", "StarTrack", "Sendle"],
    },
    Brand {
        name: "Thistle & Thread",
        zone: "Europe/London",
        currency: "GBP",
        link: "thistlethread.example",
        agents: &["Isla", "Oliver", "Freya", "Harry"],
        items: &[
            Item { title: "Merino Jumper", one: "a merino jumper", many: "jumpers", this: "this jumper", sizes: &["XS", "S", "M", "L", "XL"], size_prefix: "size ", price: 8900 },
            Item { title: "Lambswool Scarf", one: "a scarf", many: "scarves", this: "this scarf", sizes: ONE_SIZE, size_prefix: "", price: 4500 },
            Item { title: "Cable-Knit Cardigan", one: "a cardigan", many: "cardigans", this: "this cardigan", sizes: &["S", "M", "L", "XL"], size_prefix: "size ", price: 11900 },
            Item { title: "Bobble Hat", one: "a bobble hat", many: "hats", this: "this hat", sizes: ONE_SIZE, size_prefix: "", price: 2800 },
            Item { title: "Fair Isle Gloves", one: "some gloves", many: "gloves", this: "these gloves", sizes: &["S/M", "M/L"], size_prefix: "size ", price: 3200 },
        ],
        adjectives: &["Highland", "Hebridean", "Cairngorm", "Orkney", "Tweed", "Heather"],
        first_names: WESTERN_FIRST,
        last_names: WESTERN_LAST,
        phone_prefix: "+4477009",
        phone_digits: 5,
        country: "Ireland",
        carriers: &["Royal Mail", "DPD", "Evri"],
    },
    Brand {
        name: "Hanami Paper Co.",
        zone: "Asia/Tokyo",
        currency: "JPY",
        link: "hanamipaper.example",
        agents: &["Yui", "Haruto", "Sakura", "Ren"],
        items: &[
            Item { title: "Fountain Pen", one: "a fountain pen", many: "fountain pens", this: "this pen", sizes: &["EF", "F", "M"], size_prefix: "a ", price: 12000 },
            Item { title: "Dot-Grid Notebook", one: "a notebook", many: "notebooks", this: "this notebook", sizes: &["A5", "B6", "A6"], size_prefix: "", price: 2400 },
            Item { title: "Washi Tape Set", one: "some washi tape", many: "washi tape sets", this: "this tape set", sizes: &["10-pack", "20-pack"], size_prefix: "a ", price: 1800 },
            Item { title: "Weekly Planner", one: "a planner", many: "planners", this: "this planner", sizes: &["A5", "A6"], size_prefix: "", price: 3200 },
            Item { title: "Brush Pen Set", one: "a brush pen set", many: "brush pens", this: "this brush pen set", sizes: ONE_SIZE, size_prefix: "", price: 2600 },
        ],
        adjectives: &["Sakura", "Kyoto", "Fuji", "Momiji", "Yuzu", "Kumo"],
        first_names: JAPANESE_FIRST,
        last_names: JAPANESE_LAST,
        phone_prefix: "+8190",
        phone_digits: 8,
        country: "South Korea",
        carriers: &["Yamato", "Sagawa", "Japan Post"],
    },
    Brand {
        name: "Pacific Swell Surf Co.",
        zone: "America/Los_Angeles",
        currency: "USD",
        link: "pacificswell.example",
        agents: &["Kai", "Luna", "Diego", "Ava"],
        items: &[
            Item { title: "Fullsuit Wetsuit", one: "a wetsuit", many: "wetsuits", this: "this wetsuit", sizes: &["XS", "S", "M", "MT", "L", "XL"], size_prefix: "size ", price: 24900 },
            Item { title: "Soft-Top Surfboard", one: "a beginner surfboard", many: "soft-tops", this: "this board", sizes: &["7'0\"", "8'0\"", "9'0\""], size_prefix: "the ", price: 29900 },
            Item { title: "Board Shorts", one: "some board shorts", many: "board shorts", this: "these board shorts", sizes: &["28", "30", "32", "34", "36"], size_prefix: "size ", price: 5500 },
            Item { title: "Changing Poncho", one: "a changing poncho", many: "ponchos", this: "this poncho", sizes: ONE_SIZE, size_prefix: "", price: 6500 },
            Item { title: "Polarized Sunglasses", one: "some sunglasses", many: "sunglasses", this: "these sunglasses", sizes: ONE_SIZE, size_prefix: "", price: 8900 },
        ],
        adjectives: &["Malibu", "Rincon", "Trestles", "Huntington", "Mavericks", "Sunset"],
        first_names: WESTERN_FIRST,
        last_names: WESTERN_LAST,
        phone_prefix: "+1310555",
        phone_digits: 4,
        country: "Mexico",
        carriers: &["UPS", "USPS", "OnTrac"],
    },
    Brand {
        name: "Indigo Loom Textiles",
        zone: "Asia/Kolkata",
        currency: "INR",
        link: "indigoloom.example",
        agents: &["Ananya", "Arjun", "Kavya", "Rohan"],
        items: &[
            Item { title: "Block-Print Bedsheet", one: "a bedsheet", many: "bedsheets", this: "this bedsheet", sizes: &["single", "double", "king"], size_prefix: "", price: 4900 },
            Item { title: "Cotton Kurta", one: "a kurta", many: "kurtas", this: "this kurta", sizes: &["S", "M", "L", "XL"], size_prefix: "size ", price: 3900 },
            Item { title: "Silk Stole", one: "a silk stole", many: "stoles", this: "this stole", sizes: ONE_SIZE, size_prefix: "", price: 5900 },
            Item { title: "Handloom Saree", one: "a saree", many: "sarees", this: "this saree", sizes: ONE_SIZE, size_prefix: "", price: 14900 },
            Item { title: "Cushion Cover Set", one: "some cushion covers", many: "cushion covers", this: "these covers", sizes: &["40cm", "45cm"], size_prefix: "", price: 2900 },
        ],
        adjectives: &["Jaipur", "Sanganeri", "Kalamkari", "Ikat", "Bagru", "Chanderi"],
        first_names: INDIAN_FIRST,
        last_names: INDIAN_LAST,
        phone_prefix: "+9198",
        phone_digits: 8,
        country: "Sri Lanka",
        carriers: &["Delhivery", "Blue Dart", "India Post"],
    },
];
