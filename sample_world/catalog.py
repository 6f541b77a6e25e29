"""Fixed facts of the sample world: the brand, its products, stores, cities, names and app releases."""

from __future__ import annotations

import dataclasses

BRAND = "Lumora"
BRAND_CN = "Lumora"


@dataclasses.dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    short: str  # how customers call it in text
    name_cn: str
    category: str
    price_cny: float
    popularity: float
    giftable: bool = False

    @property
    def price_usd(self) -> float:
        return max(round(self.price_cny / 7.1) - 0.01, 4.99)

    @property
    def price_gbp(self) -> float:
        return max(round(self.price_cny / 9.2) - 0.01, 3.99)

    @property
    def noun(self) -> str:
        return CATEGORY_NOUN[self.category]

    @property
    def slug(self) -> str:
        return self.name.lower().replace(" + ", "-").replace(" ", "-")


CATEGORY_NOUN = {
    "earbuds": "earbuds",
    "speakers": "speaker",
    "smart_watches": "watch",
    "chargers": "charger",
    "cases": "case",
    "gift_sets": "gift set",
}

PRODUCTS: tuple[Product, ...] = (
    Product("SKU-EB01", "Lumora Buds Pro 2", "Buds Pro 2", "Buds Pro 2降噪耳机", "earbuds", 1299, 9, True),
    Product("SKU-EB02", "Lumora Buds Lite", "Buds Lite", "Buds Lite耳机", "earbuds", 399, 12),
    Product("SKU-EB03", "Lumora Buds Sport", "Buds Sport", "运动耳机", "earbuds", 599, 6),
    Product("SKU-EB04", "Lumora Buds Open", "Buds Open", "开放式耳机", "earbuds", 799, 4),
    Product("SKU-SP01", "Lumora Boom Mini", "Boom Mini", "Boom Mini音箱", "speakers", 299, 7, True),
    Product("SKU-SP02", "Lumora Boom Max", "Boom Max", "Boom Max音箱", "speakers", 1499, 3),
    Product("SKU-SP03", "Lumora Home Speaker", "Home Speaker", "智能音箱", "speakers", 899, 3),
    Product("SKU-WT01", "Lumora Watch S2", "Watch S2", "Watch S2智能手表", "smart_watches", 1999, 5, True),
    Product("SKU-WT02", "Lumora Watch Active", "Watch Active", "运动手表", "smart_watches", 1299, 4),
    Product("SKU-WT03", "Lumora Band 5", "Band 5", "手环5", "smart_watches", 299, 6),
    Product("SKU-CH01", "Lumora PowerCube 65W", "PowerCube charger", "65W充电器", "chargers", 199, 9),
    Product("SKU-CH02", "Lumora MagCharge Pad", "MagCharge pad", "无线充电板", "chargers", 249, 5),
    Product("SKU-CH03", "Lumora PowerBank 10000", "power bank", "充电宝", "chargers", 179, 7),
    Product("SKU-CH04", "Lumora USB-C Cable 2m", "USB-C cable", "数据线", "chargers", 59, 10),
    Product("SKU-CS01", "Lumora Buds Pro Silicone Case", "silicone case", "耳机保护套", "cases", 79, 8),
    Product("SKU-CS02", "Lumora Leather Watch Strap", "leather strap", "真皮表带", "cases", 199, 4),
    Product("SKU-CS03", "Lumora Travel Pouch", "travel pouch", "收纳包", "cases", 99, 4),
    Product("SKU-GS01", "Lumora Buds Pro Gift Set", "Buds Pro gift set", "耳机礼盒", "gift_sets", 1399, 3, True),
    Product("SKU-GS02", "Lumora Watch Gift Box", "Watch gift box", "手表礼盒", "gift_sets", 2099, 2, True),
    Product("SKU-GS03", "Lumora Festive Speaker Bundle", "festive speaker bundle", "音箱新年礼盒", "gift_sets", 999, 2, True),
    Product("SKU-GS04", "Lumora Charging Gift Set", "charging gift set", "充电礼盒", "gift_sets", 399, 2, True),
)

DEVICE_PRODUCTS = tuple(i for i, p in enumerate(PRODUCTS) if p.category in ("earbuds", "speakers", "smart_watches"))
BATTERY_PRODUCTS = tuple(
    i for i, p in enumerate(PRODUCTS)
    if p.category in ("earbuds", "speakers", "smart_watches") or p.short == "power bank"
)
GIFT_PRODUCTS = tuple(i for i, p in enumerate(PRODUCTS) if p.giftable)


@dataclasses.dataclass(frozen=True)
class City:
    name: str
    name_cn: str
    country: str  # CN, GB, US
    weight: float


CITIES: tuple[City, ...] = (
    City("Shanghai", "上海", "CN", 16),
    City("Beijing", "北京", "CN", 14),
    City("Shenzhen", "深圳", "CN", 10),
    City("Guangzhou", "广州", "CN", 9),
    City("Hangzhou", "杭州", "CN", 7),
    City("Chengdu", "成都", "CN", 7),
    City("Wuhan", "武汉", "CN", 5),
    City("Nanjing", "南京", "CN", 5),
    City("Xi'an", "西安", "CN", 4),
    City("Suzhou", "苏州", "CN", 4),
    City("Chongqing", "重庆", "CN", 4),
    City("Tianjin", "天津", "CN", 3),
    City("London", "伦敦", "GB", 10),
    City("Manchester", "曼彻斯特", "GB", 4),
    City("Birmingham", "伯明翰", "GB", 3),
    City("Edinburgh", "爱丁堡", "GB", 2),
    City("Bristol", "布里斯托", "GB", 2),
    City("New York", "纽约", "US", 9),
    City("San Francisco", "旧金山", "US", 4),
    City("Los Angeles", "洛杉矶", "US", 4),
    City("Seattle", "西雅图", "US", 3),
    City("Chicago", "芝加哥", "US", 3),
    City("Boston", "波士顿", "US", 2),
)
CITY_BY_NAME = {c.name: c for c in CITIES}
COUNTRY_SHARE = {"CN": 0.8, "GB": 0.1, "US": 0.1}
COUNTRY_TZ_HOURS = {"CN": 8, "GB": 0, "US": -5}


@dataclasses.dataclass(frozen=True)
class Store:
    store_id: str
    city: str
    timezone: str
    country: str


STORES: tuple[Store, ...] = (
    Store("SH001", "Shanghai", "Asia/Shanghai", "CN"),
    Store("SH002", "Shanghai", "Asia/Shanghai", "CN"),
    Store("BJ001", "Beijing", "Asia/Shanghai", "CN"),
    Store("BJ002", "Beijing", "Asia/Shanghai", "CN"),
    Store("SZ001", "Shenzhen", "Asia/Shanghai", "CN"),
    Store("GZ001", "Guangzhou", "Asia/Shanghai", "CN"),
    Store("HZ001", "Hangzhou", "Asia/Shanghai", "CN"),
    Store("CD001", "Chengdu", "Asia/Shanghai", "CN"),
    Store("LDN01", "London", "Europe/London", "GB"),
    Store("MAN01", "Manchester", "Europe/London", "GB"),
    Store("NYC01", "New York", "America/New_York", "US"),
    Store("SFO01", "San Francisco", "America/Los_Angeles", "US"),
)
STORE_OPEN_HOUR, STORE_CLOSE_HOUR = 10, 22

CN_SURNAMES = (
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Zheng Liang Xie Song Tang "
    "Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du Ye Cheng Wei Su Lu Ding Ren Shen Yao"
).split()
CN_GIVEN = (
    "Wei Fang Na Min Jing Li Qiang Lei Jun Yang Yong Yan Jie Tao Ming Chao Xiuying Xia Ping Gang Hui Yu Hao Xin Yi "
    "Zihan Yuxuan Haoran Zimo Yichen Xinyi Ruoxi Shiyu Jiahui Mengyao Tingting Xiaoming Jiayi Kai Bo Rui Lin Dan "
    "Qian Lu Shuang Yue Zhen Fei Hong Ying Chen Xuan Wen Hang Siyu Yutong Zeyu Junjie"
).split()
EN_FIRST_F = (
    "Olivia Amelia Isla Ava Emily Sophie Grace Lily Mia Ella Charlotte Hannah Emma Chloe Lucy Sarah Jessica Laura "
    "Megan Rachel Zoe Abigail Madison Natalie Rebecca"
).split()
EN_FIRST_M = (
    "Oliver George Harry Jack Noah Leo Charlie Thomas James William Daniel Ethan Samuel Joseph Michael David Ryan "
    "Matthew Lucas Benjamin Alexander Adam Nathan Tyler Andrew"
).split()
EN_LAST = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White Roberts "
    "Green Hall Wood Jackson Clarke Miller Davis Garcia Martinez Anderson Moore Lee Harris Clark Lewis Young King "
    "Scott Baker Adams Nelson Carter Mitchell Turner Campbell Parker Collins Edwards Stewart Morris Murphy Cook"
).split()

EMAIL_DOMAINS = {
    "CN": (("qq.com", 30), ("163.com", 25), ("126.com", 10), ("sina.com", 6), ("outlook.com", 8), ("gmail.com", 6),
           ("foxmail.com", 5), ("hotmail.com", 4), ("icloud.com", 6)),
    "GB": (("gmail.com", 35), ("outlook.com", 15), ("hotmail.co.uk", 15), ("yahoo.co.uk", 10), ("btinternet.com", 8),
           ("icloud.com", 10)),
    "US": (("gmail.com", 40), ("yahoo.com", 15), ("outlook.com", 12), ("icloud.com", 13), ("hotmail.com", 8),
           ("aol.com", 4)),
}
CN_MOBILE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 166 170 176 177 178 180 181 182 183 "
    "185 186 187 188 189 191 195 198 199"
).split()
CN_ID_AREA = ("110101", "310101", "310115", "440305", "440106", "330106", "510107", "420106", "320102", "610113")

CHANNEL_ORDER = ("web", "app", "mini_program")
PLATFORMS = ("x", "instagram", "weibo", "xiaohongshu")
BRAND_HANDLES = {"x": "LumoraOfficial", "instagram": "lumora.official", "weibo": "Lumora官方微博",
                 "xiaohongshu": "Lumora官方旗舰店"}

# web
WEB_HOSTS = {
    ("CN", "desktop"): "https://www.lumora.cn",
    ("CN", "mobile"): "https://m.lumora.cn",
    ("CN", "tablet"): "https://www.lumora.cn",
    ("INT", "desktop"): "https://www.lumora.com",
    ("INT", "mobile"): "https://m.lumora.com",
    ("INT", "tablet"): "https://www.lumora.com",
}
WEB_PAGES = (
    ("/", 20), ("/category/earbuds", 8), ("/category/speakers", 5), ("/category/smart-watches", 6),
    ("/category/chargers", 4), ("/category/cases", 3), ("/category/gift-sets", 4), ("/search?q=earbuds", 3),
    ("/search?q=watch", 2), ("/search?q=gift", 2), ("/sale", 5), ("/account", 3), ("/account/orders", 3),
    ("/stores", 1), ("/support", 2), ("/support/warranty", 1), ("/membership", 2), ("/blog/unboxing", 1),
    ("/cart", 3),
)
DEVICE_TYPES = ("desktop", "mobile", "tablet")
REFERRERS = {
    "CN": ((None, 30), ("https://www.baidu.com/", 20), ("https://weibo.com/", 10), ("https://www.xiaohongshu.com/", 12),
           ("https://mp.weixin.qq.com/", 14), ("https://www.douyin.com/", 8), ("https://mail.qq.com/", 3),
           ("https://www.lumora.cn/newsletter?utm_source=email", 3)),
    "INT": ((None, 35), ("https://www.google.com/", 30), ("https://www.instagram.com/", 10), ("https://x.com/", 6),
            ("https://www.bing.com/", 5), ("https://www.youtube.com/", 6),
            ("https://www.lumora.com/newsletter?utm_source=email", 8)),
}

# app
APP_OS = ("ios", "android", "harmonyos")
APP_SCREENS = (
    ("home", 25), ("product_list", 14), ("product_detail", 16), ("search", 7), ("cart", 6), ("account", 5),
    ("orders", 6), ("order_tracking", 5), ("device_settings", 7), ("membership", 3), ("support", 3),
    ("stores", 1), ("checkout", 2),
)
APP_FEATURES = (
    ("search", 15), ("wishlist_add", 8), ("share", 5), ("scan_qr", 4), ("eq_settings", 12), ("firmware_update", 5),
    ("find_my_device", 5), ("apply_coupon", 4), ("live_chat", 3), ("track_order", 8), ("noise_control", 10),
    ("workout_sync", 7), ("pay", 2),
)
# (version, release at this fraction of the world's days)
APP_RELEASES = (("3.0.4", -1.0), ("3.1.0", 0.16), ("3.2.0", 0.40), ("3.2.1", 0.53), ("3.3.0", 0.78))
BUGGY_RELEASE = "3.2.0"
CRASH_REASONS = {
    ("android", True): ("java.lang.NullPointerException at CheckoutFragment.onResume",
                        "ANR: main thread blocked for 5s in CartViewModel",
                        "java.lang.IllegalStateException: Fragment not attached to context"),
    ("harmonyos", True): ("ArkTS runtime error: cannot read property 'items' of undefined",
                          "AppFreeze: THREAD_BLOCK_6S in com.lumora.app"),
    ("ios", True): ("EXC_BAD_ACCESS in PairingManager.connect",),
    ("android", False): ("java.lang.OutOfMemoryError: Failed to allocate bitmap", "SIGSEGV in libaudiokit.so"),
    ("harmonyos", False): ("AppFreeze: LIFECYCLE_TIMEOUT",),
    ("ios", False): ("EXC_CRASH (SIGABRT) in ImageCache", "Watchdog timeout on launch"),
}

COUPONS_CN = ("NEW50", "VIP88", "SPRING30", "GIFT100", "LUMORA20", "BUNDLE15", "WX618", "MEMBER10")
COUPONS_INT = ("WELCOME10", "GIFT15", "SPRING20", "MEMBER10", "FREESHIP", "STUDENT15")

AGENT_NAMES = (
    "Amy", "Kevin", "Lily", "Jason", "Coco", "Eric", "Vivian", "Leo", "Grace", "Ivan", "Cindy", "Tony", "Mia",
    "Sam", "Nina", "Ray", "Helen", "Jack", "Lucy", "Ben", "Iris", "Max", "Anna", "Oscar", "Zoe", "Frank", "Ella",
    "Henry", "Yuki", "Alan", "Tina", "Victor", "Ruby", "Owen", "Bella", "Dylan", "Jade", "Peter", "Rose", "Sean",
)

PUBLIC_HANDLE_WORDS = (
    "tech", "audio", "gadget", "music", "daily", "review", "city", "coffee", "runner", "travel", "studio", "life",
    "nerd", "beats", "wave", "pixel", "sound", "geek", "notes", "vibes",
)
CN_NICK_WORDS = (
    "爱吃橘子的", "不想上班的", "快乐的", "努力的", "喜欢音乐的", "深夜", "周末", "小小", "阳光", "安静的",
)
CN_NICK_NOUNS = ("小王", "阿杰", "猫咪", "兔子", "打工人", "学生党", "跑者", "数码控", "设计师", "程序员")
