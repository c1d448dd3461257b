/// Passwords that attackers try first: the most used passwords worldwide and in Vietnam, keyboard
/// walks, and the product's own words. A new password equal to one of them (ignoring case) is refused.
public enum CommonPasswords {
    public static func contains(_ password: String) -> Bool {
        list.contains(password.lowercased())
    }

    static let list: Set<String> = [
        // Worldwide lists of leaked passwords, the top of every one of them.
        "12345678", "123456789", "1234567890", "12345678910", "0123456789", "987654321", "87654321", "11111111", "111111111", "00000000",
        "000000000", "88888888", "888888888", "66666666", "666666666", "99999999", "999999999", "12341234", "11223344", "12121212",
        "123123123", "1234512345", "147258369", "123454321", "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "q1w2e3r4", "qwertyui", "qwertyuiop",
        "qwerty123", "qwerty12", "asdfghjk", "asdfghjkl", "zxcvbnm1", "zxcvbnmm", "password", "password1", "password12", "password123",
        "passw0rd", "p@ssw0rd", "p@ssword", "pass1234", "pass@123", "admin123", "admin1234", "admin@123", "administrator", "iloveyou",
        "iloveyou1", "sunshine", "princess", "football", "baseball", "welcome1", "welcome123", "letmein1", "trustno1", "superman",
        "starwars", "whatever", "computer", "internet", "mustang1", "michael1", "charlie1", "dragon12", "monkey12", "master12",
        "shadow12", "abcd1234", "abc12345", "abcdefgh", "aa123456", "a1234567", "a12345678", "qazwsxedc", "changeme", "default1",
        "secret12", "test1234", "testtest", "user1234", "guest123", "login123", "hello123", "welcome!", "summer2021", "winter2021",
        "passwort", "motdepasse", "12345qwert", "qwert12345", "1234qwer", "qwer1234", "zaq12wsx", "!qaz2wsx", "1qaz@wsx", "p4ssw0rd",
        // Vietnamese favourites.
        "matkhau", "matkhau1", "matkhau123", "matkhau@123", "anhyeuem", "anhyeuem1", "anhyeuem123", "emyeuanh", "emyeuanh1", "yeuemnhieu",
        "iloveu123", "vietnam1", "vietnam123", "vietnam@123", "hanoi123", "hanoi@123", "saigon123", "hochiminh", "123456aa", "123456abc",
        "abc123456", "nguyen123", "nguyenvan", "tranvan123", "levan123", "phamvan123", "hoang123", "huong123", "thanh123", "minh1234",
        "linh1234", "trang123", "ngoc1234", "tuan1234", "hung1234", "dung1234", "hai12345", "nam12345", "an123456", "meyeucon",
        "conyeume", "giadinh1", "giadinh123", "hanhphuc", "bachkhoa", "canbo123", "phuong123", "phuongxa", "ubnd1234", "quan1234",
        // The product's own words, which an insider would try.
        "epicommand", "epicommand1", "epicommand2021", "covid2021", "covid-19", "covid19!", "covid1234", "corona2021", "phongdich",
        "chongdich", "chongdich2021", "cachly123", "xetnghiem", "tiemchung", "tiemvaccine", "vaccine2021", "demo2021",
    ]
}
