"""Phrase banks for the world's free text: per latent topic, English and Chinese sentences with slots.

Slots in braces are filled per text (see `sample_world.text`): {product} {product_cn} {cat} {days} {n} {hours}
{minutes} {order} {city} {city_cn} {store} {store_cn} {agent} {price} {price_cn} {ship} {ver} {os} {brand}
{weekday} {weekday2} {pct} and synonym slots such as {support} {terrible} {really} {great} {love}.
"""

from __future__ import annotations

import dataclasses

SENTIMENTS = ("positive", "neutral", "negative")


@dataclasses.dataclass(frozen=True)
class TopicBank:
    sentiment: str
    en: tuple[str, ...]
    en_extra: tuple[str, ...]
    zh: tuple[str, ...]
    zh_extra: tuple[str, ...]
    subjects_en: tuple[str, ...] = ()
    subjects_zh: tuple[str, ...] = ()
    titles_en: tuple[str, ...] = ()
    titles_zh: tuple[str, ...] = ()
    # optional opposite-polarity variants (e.g. battery praise), used at `alt_share`
    alt_sentiment: str | None = None
    alt_en: tuple[str, ...] = ()
    alt_zh: tuple[str, ...] = ()
    alt_titles_en: tuple[str, ...] = ()
    alt_share: float = 0.0


def _t(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.strip().splitlines() if line.strip())


TOPICS: dict[str, TopicBank] = {
    "slow_service_response": TopicBank(
        sentiment="negative",
        en=_t("""
I've been waiting {days} for a reply from {support}.
Nobody from {support} has answered my email in {days}.
Still no response to my ticket after {days}, this is ridiculous.
Your {support} takes forever to reply.
Opened a ticket about {order} {days} ago and heard nothing back.
Waited on hold for {minutes} and then the call dropped.
The live chat queue said 5 minutes, I waited {minutes}.
Why does it take {days} to get a simple answer from {support}?
{support_cap} is painfully slow, {n} emails and no reply.
I had to chase {support} {n} times before anyone responded.
{support_cap} never got back to me about my {cat}.
Response time from your helpdesk is {terrible}.
It took {days} for an agent to even acknowledge my request.
Been ignored by {brand} support for {days} now.
Slow service again. My ticket has been sitting there for {days}.
Contacted {support} on {weekday} and it's now {weekday2}, still nothing.
The chat bot keeps saying an agent will be with me shortly. Shortly? It's been {hours}.
Only automated replies so far, no human has looked at my case in {days}.
Worst customer service response time I have ever experienced.
How long does it take to answer one email? {days} and counting.
I sent {n} messages about {order} and got zero answers.
{support_cap} is so slow that I gave up and bought elsewhere.
Phone line always busy, email unanswered for {days}.
Waiting {hours} for a chat reply is not customer service.
{support_cap} finally replied after {days}, way too late to be useful.
{really_cap} disappointed with how slowly {support} handled my issue.
No callback as promised, I waited {days}.
Took them {days} just to ask me for my order number again.
Is anyone actually reading the tickets? {days} without an answer.
Your team promised a reply within 24 hours. It has been {days}.
"""),
        en_extra=_t("""
I need this sorted before my trip.
This is the {ordinal} time I'm asking.
Please escalate this.
I'm starting to regret buying from {brand}.
Thinking about cancelling my membership because of this.
At this point I'd just like a refund.
I expected better from a brand like {brand}.
Nobody even said sorry.
Every other brand answers within a day.
My time is worth something too.
Really not happy with how this is being handled.
I won't be renewing if this is the level of service.
"""),
        zh=_t("""
客服回复太慢了
等了{n}天都没人回复
联系客服{n}个小时没人理
在线客服一直在排队，效率太低了
投诉了{n}次也没有下文
打了好几次客服电话都没人接
发了{n}封邮件，一封都没回
售后处理速度太慢，等得心累
客服说48小时内回复，结果{n}天了还没消息
问个问题要等好几天，服务太差了
人工客服根本找不到
客服已读不回，什么态度
工单提交{n}天了还是待处理
买的{product_cn}有问题，找客服{n}天没人管
催了{n}遍客服，一直说在处理
客服电话排队{n}十分钟，最后还挂了
"""),
        zh_extra=_t("""
会员不想续了
希望尽快处理
太影响心情了
以后不会再买了
真的很失望
"""),
        subjects_en=_t("""
Still waiting for a reply
No response to my ticket
Second follow-up: no answer yet
Why is nobody answering?
Complaint about response time
Urgent: waiting {days} for support
Chasing my previous request
"""),
        subjects_zh=_t("""
客服一直不回复
催一下处理进度
投诉客服响应慢
"""),
        titles_en=_t("""
Good product, terrible support
Customer service too slow
Don't expect a reply
Support never answers
"""),
        titles_zh=_t("""
客服太慢
售后体验差
"""),
    ),
    "delivery_delay": TopicBank(
        sentiment="negative",
        en=_t("""
My {cat} still hasn't arrived after {days}.
Delivery was promised in 2 days, it took {days}.
Tracking hasn't updated since {weekday}.
{order_cap} is stuck in transit in {city}.
The courier keeps postponing my delivery.
The package says delivered but there is nothing at my door.
Ordered on {weekday}, still waiting {days} later.
Shipping is way slower than advertised.
My parcel has been out for delivery for {days}.
Delivery delayed again, this was meant to be a birthday present.
The order was sent to the wrong depot and is now late.
Express shipping? It took {days}.
Where is my order? It's been {days}.
Late delivery ruined my plans for the weekend.
The courier missed the delivery window twice.
The estimated delivery date keeps moving.
{days} for a {cat} to arrive is too long.
Paid for next-day delivery and it arrived after {days}.
No shipping update since I placed {order}.
The parcel sat in the warehouse for {days} before it was even dispatched.
My {product} was supposed to arrive on {weekday}, nothing yet.
Tracking number doesn't work and the parcel is {days} late.
Delivery to {city} is painfully slow.
The gift I ordered arrived after the party.
"""),
        en_extra=_t("""
I had to work from home to wait for it.
Please tell me where my parcel actually is.
The courier's hotline just redirects me to you.
Next time I'll buy it in a store.
I needed it for a trip.
Can you at least refund the shipping fee?
It was a present, so the timing mattered.
"""),
        zh=_t("""
快递延误
说好{n}天到，结果一个星期还没收到
物流信息一直不更新
发货太慢了
快递到现在还没到{city_cn}
显示已签收但我根本没收到
物流卡在中转站{n}天了
现货还拖了{n}天才发货
买来送人的，结果生日都过了还没到
配送太慢，催了好几次
{product_cn}下单{n}天了还在路上
快递员说{n}天内送到，结果又延期
{city_cn}的快递怎么这么慢
"""),
        zh_extra=_t("""
请尽快给个说法
运费能退吗
太耽误事了
"""),
        subjects_en=_t("""
Where is my order {order}?
Delivery delayed
Parcel not received
Tracking not updating
Late delivery of {order}
Order marked delivered but not received
"""),
        subjects_zh=_t("""
快递一直没到
物流不更新
订单未收到
"""),
        titles_en=_t("""
Great item, slow delivery
Took ages to arrive
Shipping was a let-down
Arrived late
"""),
        titles_zh=_t("""
物流太慢
发货慢
"""),
    ),
    "product_defect": TopicBank(
        sentiment="negative",
        en=_t("""
The left earbud stopped working after {days}.
My {product} arrived with a cracked case.
The charging port on my {product} is loose.
The speaker started crackling after a week.
My {product} won't pair with my phone anymore.
The screen on my watch has dead pixels.
The charger gets extremely hot and then cuts out.
One earbud is much quieter than the other.
Received a faulty unit, it won't turn on.
Bluetooth keeps disconnecting every few minutes.
The case hinge broke within {days}.
Noise cancelling makes a weird buzzing sound.
The strap on my {product} snapped after {days}.
A firmware update bricked my {product}.
The microphone doesn't work on calls.
Buttons are unresponsive half the time.
The {cat} I got is clearly defective.
It died after a light rain, so much for water resistance.
The charging case doesn't charge the buds.
Volume control was broken out of the box.
My {product} randomly reboots.
There is a rattling sound inside the {cat}.
The touch controls stopped responding after {days}.
"""),
        en_extra=_t("""
I'd like a replacement please.
I've already tried resetting it {n} times.
This is my second faulty unit.
I barely used it.
I have the receipt and the box.
For {price} I expected better build quality.
"""),
        zh=_t("""
{product_cn}用了{n}天就坏了
左耳没有声音
收到的时候就是坏的
充电口接触不良
屏幕有坏点
蓝牙老是断连
音箱有杂音
表带{n}天就断了
充电器发烫，不敢用
降噪有电流声
触控失灵了
新买的{product_cn}第{n}天就出问题
{product_cn}充不进电
开机没反应，才用了{n}次
"""),
        zh_extra=_t("""
要求换货
质量太差了
重置了好几次都没用
"""),
        subjects_en=_t("""
Faulty {product}
{product} not working
Defective item received
Replacement request for {order}
Broken {cat}
"""),
        subjects_zh=_t("""
产品质量问题
申请换货
商品有故障
"""),
        titles_en=_t("""
Broke after {days}
Defective out of the box
Poor build quality
Stopped working
Disappointing quality
"""),
        titles_zh=_t("""
质量有问题
用几天就坏
"""),
    ),
    "price_too_high": TopicBank(
        sentiment="negative",
        en=_t("""
{price} for the {product} is way too expensive.
Too pricey compared to other brands.
The {cat} is nice but not worth {price}.
Prices went up again, no thanks.
Found the same kind of {cat} for much less elsewhere.
I bought it and a week later it was {pct}% cheaper.
A shipping fee of {ship} on top is a joke.
Overpriced for what you get.
The membership fee is too high for the benefits.
Your accessories cost almost as much as the device.
I can't justify {price} for a charger.
Love the brand but the pricing is getting ridiculous.
I would buy more if it wasn't so expensive.
The discount is tiny, it's still too expensive.
{price}? Competitors sell better ones for half.
Why is the {product} {pct}% more expensive here than on other sites?
Not worth the premium price.
"""),
        en_extra=_t("""
Please do a proper sale.
A price match would be nice.
I'll wait for the next discount.
Students can't afford this.
"""),
        zh=_t("""
价格太贵了
性价比不高
刚买就降价了，心塞
比别家贵了{n}十块
一个充电器卖{price_cn}，太离谱了
会员费太贵，权益一般
东西不错就是太贵
运费还要另算，不划算
{product_cn}卖{price_cn}，真的不值
双十一买完第{n}天就降价了
"""),
        zh_extra=_t("""
等降价再买
能不能保价
"""),
        subjects_en=_t("""
Price match request
Price dropped after my purchase
Question about pricing of {product}
"""),
        subjects_zh=_t("""
申请保价
价格问题
"""),
        titles_en=_t("""
Too expensive
Overpriced
Good but pricey
Not worth the money
"""),
        titles_zh=_t("""
性价比低
太贵
"""),
    ),
    "packaging_gift_praise": TopicBank(
        sentiment="positive",
        en=_t("""
The gift packaging was {beautiful}.
Bought the {product} as a present and the box looked so premium.
{love_cap} the gift wrap and the handwritten card!
My partner loved the gift set, the packaging is {beautiful}.
The unboxing experience was {great}.
The gift box was elegant, perfect for a birthday.
The packaging feels {really} luxurious.
Such a thoughtful gift card was included.
Ordered it as a gift and it arrived {beautiful}ly wrapped.
The ribbon and the box made it feel special.
Best presented gift I've ever ordered online.
Perfect Christmas present, {beautiful} packaging.
The gift set box is so pretty I kept it.
The packaging was eco-friendly and still looked premium.
Sent it to my mum in {city}, she loved the wrapping.
The gift message was printed on a lovely card.
Even the shipping box was {beautiful}, great for gifting.
My friend said it was the nicest wrapped present she got this year.
"""),
        en_extra=_t("""
Will definitely order gifts here again.
It made the present feel extra special.
Worth paying a bit more for.
Thank you for the attention to detail.
Highly recommend for gifts.
"""),
        zh=_t("""
包装很精美
送给女朋友的礼物，她很喜欢
礼盒设计太用心了
贺卡很有心意
包装高级感满满
送人很有面子
开箱体验很棒
礼品包装太好看了，舍不得拆
包装盒质感很好，送礼首选
{product_cn}的礼盒太好看了
给妈妈买的{product_cn}，包装很有档次
"""),
        zh_extra=_t("""
下次送礼还来
值得推荐
"""),
        subjects_en=_t("""
Thank you for the lovely packaging
Gift wrapping feedback
"""),
        subjects_zh=_t("""
表扬包装
"""),
        titles_en=_t("""
Perfect gift
Beautiful packaging
Lovely presentation
Great present
Gift-ready
"""),
        titles_zh=_t("""
包装精美
送礼很合适
"""),
    ),
    "app_crash": TopicBank(
        sentiment="negative",
        en=_t("""
The app keeps crashing when I open my orders.
The app crashes every time I try to pay.
Since the update to {ver} the app won't open.
Your {os} app freezes and closes on the checkout screen.
The app crashed {n} times today.
I can't use the app at all, it just closes.
The app crashes when I try to pair my {product}.
The latest update broke the app on my {os} phone.
The app keeps force closing, please fix it.
Every time I tap on my cart the app crashes.
The app hangs at the loading screen and then quits.
It crashes when I scan the QR code in store.
The app is unusable after version {ver}.
Lost my cart because the app crashed again.
The EQ settings page crashes the app.
Firmware update through the app fails and the app closes.
"""),
        en_extra=_t("""
I've reinstalled it {n} times.
Please fix this quickly.
I'm on {os} with the latest updates.
I had to order on the website instead.
"""),
        zh=_t("""
APP老是闪退
更新之后一打开就崩溃
{os}版本打不开
支付的时候闪退了
APP卡死在启动页
一点购物车就闪退
新版本bug太多了
连接耳机的时候APP崩溃
升级到{ver}以后天天闪退
今天APP闪退了{n}次
"""),
        zh_extra=_t("""
重装了{n}次也不行
赶紧修复吧
"""),
        subjects_en=_t("""
App keeps crashing
App crash on checkout
Cannot open the app after update
App version {ver} crashes
"""),
        subjects_zh=_t("""
APP闪退
APP无法打开
"""),
        titles_en=_t("""
Good device, buggy app
The app ruins it
"""),
        titles_zh=_t("""
APP太差
"""),
    ),
    "helpful_staff": TopicBank(
        sentiment="positive",
        en=_t("""
The staff at the {store} store were so helpful.
{agent} from support sorted everything in minutes, thank you!
Great service from the shop assistant who helped me choose.
The agent was patient and {really} knew the product.
Shout out to {agent} for the quick fix.
Store staff in {store} went above and beyond.
Very friendly and knowledgeable team.
The lady at the counter helped me set up my watch.
Customer service was kind and solved my problem.
{really_cap} appreciated how helpful the team was.
{agent} on the chat was brilliant.
The staff explained all the options without pushing.
The technician at the store fixed my pairing issue on the spot.
{agent} went out of their way to help me.
Friendly staff and a {great} experience in store.
"""),
        en_extra=_t("""
Service like this keeps me coming back.
Please pass on my thanks.
Five stars for the team.
"""),
        zh=_t("""
店员很耐心
{store_cn}门店的小姐姐服务超好
客服小哥很专业，问题很快解决了
导购推荐得很到位
售后态度很好，点赞
店员帮我把手表设置好了
客服{agent}很耐心
{store_cn}店的店员帮我挑了{product_cn}，很专业
"""),
        zh_extra=_t("""
给个好评
服务满分
"""),
        subjects_en=_t("""
Thank you to {agent}
Compliment for your staff
"""),
        subjects_zh=_t("""
表扬客服
"""),
        titles_en=_t("""
Great service
Helpful staff
"""),
        titles_zh=_t("""
服务很好
"""),
    ),
    "battery_performance": TopicBank(
        sentiment="negative",
        en=_t("""
Battery life on my {product} is {terrible}.
The battery drains in {hours}.
The battery barely lasts a day.
My watch needs charging every night, not every {n} days as advertised.
The earbuds die after {hours} of music.
Battery health dropped fast after {days}.
The speaker battery doesn't even last a party.
Charging takes forever and it drains quickly.
The battery percentage jumps from 40 to 0.
Standby drain is {terrible}.
Performance is laggy and the battery heats up.
My {product} loses {pct}% overnight doing nothing.
The battery life is nowhere near what you advertise.
Had to buy a power bank just to get through the day with my {product}.
"""),
        en_extra=_t("""
Is this normal?
I keep the firmware up to date.
Battery should be covered by warranty.
"""),
        zh=_t("""
续航太差了
电池掉电很快
充满电只能用{n}小时
手表一天一充
续航比宣传的差远了
待机也掉电，受不了
充电特别慢
{product_cn}续航只有{n}小时
"""),
        zh_extra=_t("""
是不是电池有问题
希望能换一个
"""),
        subjects_en=_t("""
Battery drains fast
Battery problem with {product}
Poor battery life
"""),
        subjects_zh=_t("""
电池续航问题
"""),
        titles_en=_t("""
Battery is a let-down
Poor battery
Drains too fast
"""),
        titles_zh=_t("""
续航差
"""),
        alt_sentiment="positive",
        alt_en=_t("""
Battery lasts forever, {n} days on one charge!
{really_cap} impressed with the battery life.
The battery easily gets me through a long-haul flight.
Battery life on the {product} is {great}.
Charges fast and lasts all week.
"""),
        alt_zh=_t("""
续航很给力
充一次电能用好几天
"""),
        alt_titles_en=_t("""
Battery for days
Great battery life
"""),
        alt_share=0.15,
    ),
    "product_praise": TopicBank(
        sentiment="positive",
        en=_t("""
The sound quality on the {product} is {great}.
Noise cancelling is {great}.
{really_cap} comfortable to wear all day.
Best {cat} I've owned.
The design is sleek and it pairs instantly.
Bass is punchy and clear.
{love_cap} my new {product}!
{great_cap} value for the quality.
Works perfectly with my phone.
{really_cap} happy with the purchase.
The {product} exceeded my expectations.
Call quality is crystal clear.
Setup took less than a minute.
I use my {product} every single day.
"""),
        en_extra=_t("""
Would recommend to friends.
Already thinking of buying another one.
Five stars.
"""),
        zh=_t("""
音质很好
降噪效果不错
戴着很舒服
颜值很高
连接很快，好用
{product_cn}很值得买
用了{n}个星期的{product_cn}，很满意
"""),
        zh_extra=_t("""
推荐购买
会回购
"""),
        subjects_en=_t("""
Feedback on my {product}
"""),
        subjects_zh=_t("""
产品好评
"""),
        titles_en=_t("""
Love it
Excellent {cat}
Great sound
Highly recommended
Worth it
Brilliant
Best {cat} so far
{great_cap} {cat}
{really_cap} happy with my {product}
"""),
        titles_zh=_t("""
很满意
好评
"""),
    ),
    "order_inquiry": TopicBank(
        sentiment="neutral",
        en=_t("""
Can I change the delivery address for {order}?
How do I get an invoice for {order}?
I'd like to update the phone number on my account.
Is the {product} compatible with {os}?
When will the {product} be back in stock?
Can I add a gift message after ordering?
How do I return an item I bought in store?
What's the warranty period on the {cat}?
Please cancel {order}, I ordered the wrong colour.
Do you ship to {city}?
How do I use my coupon code?
Can I combine two orders to save on shipping?
Can I pick up {order} at the {store} store instead?
Does my membership include free shipping?
"""),
        en_extra=_t("""
Thanks in advance.
My order number is {order}.
Let me know what you need from me.
"""),
        zh=_t("""
怎么开发票
可以改收货地址吗
{product_cn}什么时候补货
请问保修期多久
能帮我取消订单吗
优惠券怎么用
可以去{store_cn}门店自提吗
"""),
        zh_extra=_t("""
谢谢
订单号是{order}
"""),
        subjects_en=_t("""
Question about {order}
Invoice request
Change of address
Warranty question
Order cancellation
Stock question: {product}
"""),
        subjects_zh=_t("""
咨询订单
开发票
修改地址
"""),
        titles_en=_t("""
OK
As described
"""),
        titles_zh=_t("""
还行
"""),
    ),
    "other": TopicBank(
        sentiment="neutral",
        en=_t("""
Anyone tried the new {product}?
Thinking about getting the {product}, any thoughts?
Just picked up a {cat} at the {store} store.
Is the {brand} sale on this weekend?
Which colour should I get?
Unboxing my {product} tonight.
Does anyone know if the {product} works with Android?
Saw the {brand} ad on the metro today.
{brand} versus the competition, what do you think?
New {cat} day!
Trying out the {product} at the gym tomorrow.
Is there a student discount at {brand}?
Going to the {store} store this weekend, anything I should check out?
"""),
        en_extra=_t("""
Let me know.
Curious what people think.
"""),
        zh=_t("""
有人买了新款{product_cn}吗
双十一有活动吗
纠结买哪个颜色
新款什么时候出
今天路过{store_cn}门店看了一下
{product_cn}和别家比怎么样
周末去{store_cn}门店试了{product_cn}
"""),
        zh_extra=_t("""
求推荐
"""),
        subjects_en=_t("""
General question
Product information
"""),
        subjects_zh=_t("""
咨询
"""),
        titles_en=_t("""
It's fine
Does the job
"""),
        titles_zh=_t("""
一般
"""),
    ),
}

# Topics that count as complaints (negative experiences) in the per-person truth.
COMPLAINT_TOPICS = ("slow_service_response", "delivery_delay", "product_defect", "price_too_high", "app_crash",
                    "battery_performance")

SYNONYMS = {
    "support": ("support", "customer service", "customer care", "the service team", "your helpdesk",
                "the support team"),
    "terrible": ("terrible", "awful", "horrible", "dreadful", "appalling", "unacceptable"),
    "really": ("really", "so", "very", "super", "genuinely", "truly"),
    "great": ("great", "amazing", "fantastic", "excellent", "brilliant", "superb", "outstanding"),
    "love": ("love", "adore", "really like", "am in love with"),
    "beautiful": ("beautiful", "gorgeous", "stunning", "lovely", "elegant"),
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAYS_PHRASES = ("2 days", "3 days", "4 days", "5 days", "a week", "over a week", "10 days", "two weeks", "48 hours",
                "72 hours", "6 days", "nearly a week")
HOURS_PHRASES = ("3 hours", "4 hours", "5 hours", "6 hours", "half a day", "two hours", "90 minutes", "8 hours")
MINUTES_PHRASES = ("40 minutes", "an hour", "45 minutes", "over an hour", "35 minutes", "50 minutes")
ORDINALS = ("second", "third", "fourth", "fifth")
OS_NAMES = {"ios": "iPhone", "android": "Android", "harmonyos": "HarmonyOS"}

OPENERS_EN = {
    "ticket_message": ("Hi,", "Hello,", "Dear {brand} team,", "Hi there,", "Good morning,", "Hello support,",
                       "To whom it may concern,", "Hi team,", ""),
    "survey": ("", "", "", "Overall", "Honestly", "To be fair,", "In short:"),
    "review_body": ("", "", "", "Update:", "Bought this last month.", "Second purchase from {brand}.",
                    "Got this for my commute."),
}
OPENERS_SOCIAL = {
    "negative": ("", "", "", "Ugh.", "Honestly,", "PSA:", "@{brand_handle}", "Hey @{brand_handle}", "Not impressed.",
                 "Wow.", "Just saying,", "Seriously?", "Day {n} of waiting."),
    "positive": ("", "", "", "Wow!", "So happy!", "Okay,", "Honestly,", "@{brand_handle}", "Update:"),
    "neutral": ("", "", "", "Hey @{brand_handle}", "Quick question:", "Okay so", "So...", "Random thought:"),
}
CLOSERS_EN = {
    "ticket_message": ("Thanks.", "Regards, {first}", "Please help.", "Thank you", "Cheers, {first}",
                       "Looking forward to hearing from you.", "Kind regards,\n{first} {last}", "Thanks, {first}", ""),
}
CLOSERS_BY_SENTIMENT = {
    "social": {
        "negative": ("", "", "#fail", "#customerservice", "smh", "#techfail", "#{brand}", "just wow", "never again"),
        "positive": ("", "", "#{brand}", "#unboxing", "#giftideas", "#tech", "#{brand}Buds", "love it", "10/10"),
        "neutral": ("", "", "#{brand}", "#tech", "lol", "#question", "any tips?"),
    },
    "survey": {
        "negative": ("", "", "", "Please improve.", "That's all.", "Disappointed."),
        "positive": ("", "", "", "Thanks.", "Keep it up.", "Great job."),
        "neutral": ("", "", "", "Thanks.", "That's all."),
    },
    "review_body": {
        "negative": ("", "", "", "Would not buy again.", "Avoid.", "Hope this helps someone."),
        "positive": ("", "", "", "Would buy again.", "Just my two cents.", "Hope this helps someone."),
        "neutral": ("", "", "", "Just my two cents.", "Hope this helps someone."),
    },
}
EMOJI = {
    "negative": ("😡", "😤", "🙄", "😞", "👎", "💔", "😩", "😠"),
    "positive": ("😍", "🎁", "❤️", "👍", "✨", "🥰", "🙌", "💯"),
    "neutral": ("🤔", "📦", "🎧", "⌚", "👀", "🙂"),
}
OPENERS_ZH = ("", "", "", "说实话，", "唉，", "姐妹们，", "真的无语了，", "吐槽一下：", "分享一下：", "家人们，",
              "我想说，", "@Lumora官方 ", "今天", "第一次发帖，", "记录一下：", "有没有人和我一样，")
OPENERS_ZH_POSITIVE = ("", "", "分享一下：", "姐妹们，", "开心，", "")
CLOSERS_ZH = {
    "negative": ("", "。", "，希望改进。", "，不会再买了。", "，失望。", "，大家注意避雷。", "！！", "，服了。"),
    "positive": ("", "！", "，推荐！", "，太开心了！", "，必须好评。", "～", "，爱了爱了"),
    "neutral": ("", "？", "，谢谢。", "～", "。"),
}

GIFT_NOTES_EN = _t("""
Dear {name}, happy birthday and enjoy the new {cat}! {me}
{name}, hope you like it. Love from {me}
Happy {n}th birthday {name}!
For {name}: thanks for being the best. {me}

Happy birthday {name}! Love, {me}
Merry Christmas {name} x
Congrats on the new job, {name}!
For the best dad in the world.
Happy anniversary my love
Thinking of you. Enjoy the music!
Happy Lunar New Year {name}!
Thank you for everything, {name}.
Get well soon, {name}!
Hope these keep you company on your runs. {me}
Happy graduation! So proud of you.
Something small to say thank you. {me}
To {name}, with love from {me}
Happy Valentine's Day
Enjoy your new toy! x {me}
""")
GIFT_NOTES_ZH = _t("""
生日快乐！
新年快乐，万事如意
送给最爱的你
妈妈，节日快乐
祝你工作顺利
七夕快乐
辛苦啦，送你的小礼物
毕业快乐，前程似锦
爸爸生日快乐，身体健康
""")

AGENT_OPEN_EN = ("Hi {cust}, thanks for contacting {brand} support.", "Hello {cust},", "Dear {cust},",
                 "Hi {cust}, thank you for reaching out.", "Hi {cust}, {agent} here from {brand}.")
AGENT_SLOW_APOLOGY_EN = ("Apologies for the late reply, we are handling a high volume of requests.",
                         "Sorry for keeping you waiting.", "I'm sorry it took us so long to get back to you.")
AGENT_BODY_EN = {
    "delivery_delay": ("I've contacted the courier and your parcel should arrive within 2 working days.",
                       "I can see {order} is held at the {city} hub; I've asked them to prioritise it.",
                       "I've refunded the shipping fee for {order} and chased the courier."),
    "product_defect": ("Please send us a photo of the issue and we'll arrange a replacement.",
                       "I've created a free replacement for your {product}; a return label is attached.",
                       "Could you try a factory reset first? If that doesn't help we'll replace it."),
    "battery_performance": ("Please update to the latest firmware, it improves battery life.",
                            "A battery that drains this fast is covered by warranty; we'll replace the unit.",
                            "Could you tell me which features are switched on? Always-on display uses more power."),
    "order_inquiry": ("I've updated that for you.", "You'll find the invoice attached.",
                      "Yes, that's possible; I've made the change on {order}.",
                      "Our warranty is 12 months from delivery."),
    "price_too_high": ("We've applied our price guarantee and refunded the difference.",
                       "I've added a voucher to your account for your next order.",
                       "I'm afraid the promotion started after your purchase, but here is a coupon for next time."),
    "app_crash": ("Our developers are aware of the crash in app version {ver}; a fix is on the way.",
                  "Please update the app to the latest version from your app store.",
                  "Could you clear the app cache and log in again?"),
    "other": ("Thanks for your question, here is the information you asked for.",
              "I've passed your feedback to the team.", "Happy to help with that."),
}
AGENT_CLOSE_EN = ("Best regards, {agent}", "Kind regards, {agent} | {brand} Care", "Thanks, {agent}",
                  "Is there anything else I can help with? {agent}", "Have a nice day! {agent}")
AGENT_FOLLOWUP_EN = ("Is there anything else I can help with?", "Just checking in: did that solve the issue?",
                     "I've issued a refund of {price} to your original payment method.",
                     "A replacement has been dispatched, tracking number SF{digits}.",
                     "I'll mark this as solved; reply any time if you need more help.",
                     "Thanks for confirming. I'm closing this ticket now.")
AGENT_ZH = ("您好，感谢联系Lumora客服，我们已经收到您的问题，正在为您处理。",
            "亲，非常抱歉给您带来不便，已帮您加急处理。",
            "您好，已为您安排换货，请留意物流信息。",
            "亲，退款已经提交，预计1-3个工作日到账。",
            "您好，请问还有其他可以帮您的吗？",
            "抱歉让您久等了，最近咨询量较大。")
AGENT_NOTES = ("Checked WMS: parcel held at {city} hub. Escalated to logistics.",
               "Customer is a member, offer a 50 CNY voucher if needed.",
               "Known crash in app {ver} on Android, linked to APP-{digits}.",
               "Refund approved by team lead.",
               "Asked the warehouse for photo evidence.",
               "Second contact about the same issue, handle with priority.",
               "Serial number verified, within warranty.",
               "Waiting for courier investigation result.",
               "Customer sounded upset on the phone. Call back tomorrow.")
SYSTEM_CREATED = ("Auto-reply: we have received your message and will reply within 24 hours. Ticket {ticket}.",
                  "Thank you for contacting {brand} Care. Your reference is {ticket}.",
                  "您的工单{ticket}已创建，客服将尽快回复。")
SYSTEM_CLOSED = ("This ticket was closed automatically.", "Ticket {ticket} closed after 72 hours without a reply.")

CUSTOMER_ACK_EN = ("Thanks, that worked.", "Great, thank you!", "Ok, received. Thanks.", "Perfect, all sorted.",
                   "Thanks for the quick help.", "Got it, thanks {agent}.", "That fixed it, thanks {agent}!",
                   "All good now.", "Received, much appreciated.", "Brilliant, thanks for sorting it.")
CUSTOMER_ACK_EXTRA_EN = ("", "", "You've been very helpful.", "Appreciate the quick response.", "Have a great day!",
                         "Will let you know if it happens again.", "Much better now.", "Cheers {agent}.")
CUSTOMER_STILL_EN = ("It's still not working.", "I did that but nothing changed.", "Any update on this?",
                     "I've attached a photo as requested.", "Following up on my ticket.", "Sorry to chase, but",
                     "Hi again,", "Still waiting to hear back.", "That didn't help.", "Quick follow-up:")
CUSTOMER_ACK_ZH = ("好的，谢谢", "收到，谢谢客服", "已经解决了，谢谢", "好的")

BRAND_REPLY_EN = ("Hi @{handle}, sorry to hear this! Please DM us your order number and we'll sort it out.",
                  "@{handle} We're sorry about this. Our team will reach out to you shortly.",
                  "@{handle} Thanks for the love! 💙", "@{handle} So glad you like it! Enjoy 🎧",
                  "@{handle} Thanks for flagging, we're on it.", "@{handle} Could you DM us your order details?")
BRAND_REPLY_ZH = ("亲，非常抱歉给您带来不好的体验，请私信我们订单号～", "感谢喜欢！", "已私信您，请查收～",
                  "谢谢支持，我们会继续努力！")
BRAND_POSTS_EN = ("New firmware for {product} is live: better battery and smoother pairing.",
                  "Our gift sets are back in stock. 🎁", "Which colour of {product} is your favourite?",
                  "Meet the {product}. Available now.", "Members get free shipping this week.")
BRAND_POSTS_ZH = ("{product_cn}新品上市！", "会员日活动开启，全场包邮", "礼盒限时补货中🎁")

COMMENTS_EN = ("same here", "mine too!! 😩", "+1", "this is why I switched", "congrats! enjoy", "looks great",
               "how's the battery?", "did they ever reply?", "omg same", "love this", "where did you get it?",
               "happened to me last week", "nice pic", "following", "good to know, thanks", "which colour is that?",
               "how much did you pay?", "is it worth it?", "thanks for sharing", "I had the same with my {product}",
               "mine arrived in {days}", "does it work with {os}?", "my {product} is fine so far")
COMMENTS_ZH = ("同款！", "我也是", "求链接", "好看！", "我也遇到了", "蹲一个后续", "太真实了", "种草了", "多少钱买的？",
               "我的{product_cn}也这样", "谢谢分享", "什么颜色？", "已下单")

BIOS_EN = ("Coffee, code & good headphones", "Runner | {city}", "Mum of two. Music lover.", "Tech nerd. Opinions mine.",
           "Photographer based in {city}", "Gamer / audiophile", "Travel, food, gadgets", "Student @ uni",
           "Dog person 🐶", "Podcasts and long walks", "", "")
BIOS_ZH = ("数码爱好者", "{city_cn} | 跑步 | 音乐", "打工人", "爱生活爱分享", "学生党", "设计师", "", "")
BIO_ID_EN = ("{brand} member {member_id}", "Proud {brand} Plus member #{member_id}", "member {member_id} | {city}",
             "{brand} fan since 2021 (member {member_id})")
BIO_ID_ZH = ("会员号 {member_id} | {city_cn}", "Lumora会员{member_id}", "{city_cn}｜Lumora会员 {member_id}")

PII_SENTENCES_EN = {
    "email": ("You can reach me at {email}.", "My email is {email}.", "Please reply to {email}.",
              "(email: {email})"),
    "phone": ("Call me on {phone}.", "My number is {phone}.", "Please call back on {phone}.", "tel {phone}"),
    "id_number": ("My ID number is {id_number} if you need it for the invoice.",
                  "ID {id_number} for the warranty registration."),
}
PII_SENTENCES_ZH = {
    "email": ("邮箱{email}", "我的邮箱是{email}"),
    "phone": ("电话{phone}", "联系我：{phone}", "手机号{phone}"),
    "id_number": ("身份证号{id_number}", "发票需要身份证号：{id_number}"),
}
